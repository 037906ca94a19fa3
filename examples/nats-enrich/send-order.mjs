// Publishes one order on orders.new and prints what the app publishes for it: the enriched order on
// orders.enriched, or the order itself on orders.rejected when it failed (with the error e2rx gives).
//
//   node examples/nats-enrich/send-order.mjs '{"id":"o-1","customer":"ada","sku":"tea"}'
//
// NATS_URL (default nats://127.0.0.1:4222) and SUBJECT_PREFIX (default none, for a copy of the app whose subjects
// are prefixed) change where it talks.
import { connect } from '@nats-io/transport-node';

const order = process.argv[2] ?? '{"id":"o-1","customer":"ada","sku":"tea"}';
const prefix = process.env.SUBJECT_PREFIX ?? '';
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const timeout = setTimeout(() => {
  console.error('no answer within 10 s: is the app running (npx e2rx start examples/nats-enrich)?');
  process.exit(1);
}, 10_000);

const answered = new Promise((resolve) => {
  for (const subject of ['orders.enriched', 'orders.rejected']) {
    nc.subscribe(prefix + subject, {
      max: 1,
      callback: (_error, msg) => {
        const error = msg.headers?.get('e2rx-error');
        resolve(`${subject} ${msg.string()}${error ? ` (e2rx-error: ${error})` : ''}`);
      },
    });
  }
});
await nc.flush();
nc.publish(prefix + 'orders.new', order);
console.log(await answered);
clearTimeout(timeout);
await nc.drain();
