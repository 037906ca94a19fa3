// Produces one order on the topic orders and prints the quote the app produces for it on the topic quotes.
//
//   node examples/kafka-fanout/send-order.mjs '{"id":"o-1","country":"FR","amount":"4000"}'
//
// KAFKA_BROKERS (default 127.0.0.1:9092) and TOPIC_PREFIX (default none, for a copy of the app whose topics are
// prefixed) change where it talks.
import kafkajs from 'kafkajs';

const order = process.argv[2] ?? '{"id":"o-1","country":"FR","amount":"4000"}';
const prefix = process.env.TOPIC_PREFIX ?? '';
const [orders, quotes] = [`${prefix}orders`, `${prefix}quotes`];
const kafka = new kafkajs.Kafka({
  clientId: 'send-order',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: kafkajs.logLevel.NOTHING,
});
const timeout = setTimeout(() => {
  console.error('no quote within 30 s: is the app running (npx e2rx start examples/kafka-fanout)?');
  process.exit(1);
}, 30_000);

// Only quotes produced from now on count: note where the topic ends, read it from the beginning, skip what came before.
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: orders }, { topic: quotes }], waitForLeaders: true });
const ends = new Map((await admin.fetchTopicOffsets(quotes)).map((p) => [p.partition, BigInt(p.high)]));
await admin.disconnect();

const consumer = kafka.consumer({ groupId: `send-order-${process.pid}-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topic: quotes, fromBeginning: true });
const quoted = new Promise((resolve) => {
  void consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (BigInt(message.offset) >= (ends.get(partition) ?? 0n)) resolve(`quotes ${message.value?.toString() ?? ''}`);
    },
  });
});

const producer = kafka.producer();
await producer.connect();
// The order's id is the record's key (so that the quote, which keeps it, lands on the same partition number).
const key = /"id"\s*:\s*"([^"]*)"/.exec(order)?.[1] ?? null;
await producer.send({ topic: orders, messages: [{ key, value: order }] });
console.log(await quoted);
clearTimeout(timeout);
await Promise.all([producer.disconnect(), consumer.disconnect()]);
