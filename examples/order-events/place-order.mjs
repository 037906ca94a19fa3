// Places one order with the app (POST /orders) and prints its reply, then what the app published for it: the event
// on the NATS subject orders.placed and the audit record on the Kafka topic orders-audit, or that there was none.
//
//   node examples/order-events/place-order.mjs '{"id":"o-1","sku":"tea","qty":"2"}'
//
// Only what is published for this order counts (its id in the event, its key on the record), so that other clients
// of the same brokers do not show up. BASE_URL (default http://localhost:8080), NATS_URL (default
// nats://127.0.0.1:4222) and KAFKA_BROKERS (default 127.0.0.1:9092) change where it talks.
import { connect } from '@nats-io/transport-node';
import kafkajs from 'kafkajs';

const order = process.argv[2] ?? '{"id":"o-1","sku":"tea","qty":"2"}';
const id = JSON.parse(order).id;
const [subject, topic] = ['orders.placed', 'orders-audit'];
const kafka = new kafkajs.Kafka({ clientId: 'place-order', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
const ends = async () => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const events = [];
nc.subscribe(subject, {
  callback: (_error, msg) => {
    if (msg.json().id === id) events.push(msg);
  },
});
await nc.flush();
const before = await ends();

const response = await fetch(`${process.env.BASE_URL ?? 'http://localhost:8080'}/orders`, { method: 'POST', body: order });
console.log(response.status, await response.text());

// The app sends what a run published before it replies: by now the event has reached NATS and the record Kafka.
await nc.flush();
await new Promise((resolve) => setTimeout(resolve, 200));
console.log(events.length === 0 ? `nothing on ${subject}` : events.map((msg) => `${subject} ${msg.string()} (kind: ${msg.headers?.get('kind') ?? ''})`).join('\n'));
await nc.drain();

const after = await ends();
const fresh = [...after].filter(([partition, high]) => high > (before.get(partition) ?? 0n));
const records = [];
if (fresh.length > 0) {
  const consumer = kafka.consumer({ groupId: `place-order-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise((resolve) => {
    const left = new Map(fresh);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const offset = BigInt(message.offset);
        const mine = message.key?.toString() === id;
        if (mine && offset >= (before.get(partition) ?? 0n) && offset < (after.get(partition) ?? 0n)) records.push(message);
        if (offset + 1n >= (left.get(partition) ?? 0n)) left.delete(partition);
        if (left.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
}
if (records.length === 0) console.log(`nothing on ${topic}`);
for (const message of records) console.log(`${topic} ${message.key?.toString() ?? ''} ${message.value?.toString() ?? ''}`);
await admin.disconnect();
