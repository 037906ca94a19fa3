// The ratings API that get-book calls, a stand-in for a real one: GET /ratings/<isbn> answers the book's rating as
// JSON, or 404 for a book it does not know. Run it with `node examples/go-books/ratings-server.mjs`; it listens on
// 127.0.0.1:8081 (PORT=<port> for another port, 0 for any free one) and prints its address.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/** The ratings it knows, by ISBN. */
export const RATINGS = {
  '9780262510875': { average: 4.6, count: 1520 },
  '9780131103627': { average: 4.7, count: 880 },
};

/** Starts the server on 127.0.0.1:`port`; resolves with the server once it listens. */
export function startRatingsServer(port = 8081) {
  const server = createServer((request, response) => {
    const match = /^\/ratings\/([0-9X]+)$/.exec(request.url ?? '');
    const rating = match === null ? undefined : RATINGS[match[1]];
    if (request.method !== 'GET' || rating === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('no rating');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(rating));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startRatingsServer(Number(process.env.PORT ?? 8081));
  console.log(`ratings API on http://127.0.0.1:${server.address().port}`);
}
