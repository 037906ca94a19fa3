// Produces one order on the topic orders and prints the quote the app produces for it on the topic quotes; when
// there is none, says what happened to the order instead of waiting in silence.
//
//   node examples/kafka-fanout/send-order.mjs '{"id":"o-1","country":"FR","amount":"4000"}'
//
// KAFKA_BROKERS (default 127.0.0.1:9092), TOPIC_PREFIX (default none, for a copy of the app whose topics are
// prefixed) and GROUP_ID (the app's consumer group: its identifier, default com.e2rx.kafka-fanout) change where it
// looks; WAIT_MS (default 30000) how long it waits for an app that does not answer. Exit code 0 with a quote, 1
// without.
import kafkajs from 'kafkajs';

const order = process.argv[2] ?? '{"id":"o-1","country":"FR","amount":"4000"}';
const prefix = process.env.TOPIC_PREFIX ?? '';
const groupId = process.env.GROUP_ID ?? 'com.e2rx.kafka-fanout';
const [orders, quotes] = [`${prefix}orders`, `${prefix}quotes`];
const kafka = new kafkajs.Kafka({
  clientId: 'send-order',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: kafkajs.logLevel.NOTHING,
});
// The order's id is the record's key (so that the quote, which keeps it, lands on the same partition number).
const key = /"id"\s*:\s*"([^"]*)"/.exec(order)?.[1] ?? null;
const name = key ?? 'the order';

// Only quotes produced from now on count: note where the topic ends, read it from the beginning, skip what came before.
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: orders }, { topic: quotes }], waitForLeaders: true });
const ends = new Map((await admin.fetchTopicOffsets(quotes)).map((p) => [p.partition, BigInt(p.high)]));

const consumer = kafka.consumer({ groupId: `send-order-${process.pid}-${Date.now()}` });
await consumer.connect();
await consumer.subscribe({ topic: quotes, fromBeginning: true });
let quote;
const quoted = new Promise((resolve) => {
  void consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (key !== null && message.key?.toString() !== key) return; // another order's quote
      if (BigInt(message.offset) >= (ends.get(partition) ?? 0n)) resolve((quote = `quotes ${message.value?.toString() ?? ''}`));
    },
  });
});

const producer = kafka.producer();
await producer.connect();
const [sent] = await producer.send({ topic: orders, messages: [{ key, value: order }] });
const offset = BigInt(sent.baseOffset);

// Without a quote, the app's consumer group tells what happened: once it has committed past the order, the app is
// done with it (a quote is produced before the commit), so no quote means its run failed.
let settled = false;
const outcome = await Promise.race([quoted.then(() => 'quoted'), watchGroup()]);
settled = true;
if (outcome === 'quoted') {
  console.log(quote);
} else {
  console.error(outcome);
  process.exitCode = 1;
}
await Promise.all([producer.disconnect(), consumer.disconnect(), admin.disconnect()]);

/** Resolves with what to say when the app is done with the order without a quote, or after 30 s. */
async function watchGroup() {
  const waitMs = Number(process.env.WAIT_MS ?? 30_000);
  const deadline = Date.now() + waitMs;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (settled) return 'quoted';
    const committed = (await admin.fetchOffsets({ groupId, topics: [orders] }))[0]?.partitions.find((p) => p.partition === sent.partition);
    if (committed && BigInt(committed.offset) > offset) {
      // Done with the order: give the quote, if any, a moment to arrive.
      await Promise.race([quoted, new Promise((resolve) => setTimeout(resolve, 2_000))]);
      if (quote !== undefined) return 'quoted';
      return `no quote for ${name}: the app took the order and produced no quote, so its run failed (the app's log says why; an order needs an id, a country and an amount in cents)`;
    }
    if (Date.now() > deadline) {
      const [group] = (await admin.describeGroups([groupId])).groups;
      return group === undefined || group.members.length === 0
        ? `no quote for ${name} within ${waitMs / 1000} s: nothing consumes ${orders} in the group ${groupId}; is the app running (npx e2rx start examples/kafka-fanout)?`
        : `no quote for ${name} within ${waitMs / 1000} s: the app (group ${groupId}, ${group.members.length} member(s)) has not finished the order yet; its log says what it is doing`;
    }
  }
}
