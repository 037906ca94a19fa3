// The baseline of bench/http.ts: a bare node:http server that reads the body and calls a Runnable's run_e inline
// (direct WebAssembly instantiation, a host of return_result/return_error/return_abort), then answers the output.
// Plain JavaScript (not through tsx), as a competent engineer would write it by hand.
// Usage: node bench/servers/bare-http.mjs <module.wasm> <port>
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const [file, port] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(file));
let memory;
let output = new Uint8Array(0);
const view = (ptr, size) => new Uint8Array(memory.buffer, ptr, size);
const imports = {};
for (const entry of WebAssembly.Module.imports(module)) {
  if (entry.kind !== 'function') continue;
  imports[entry.module] ??= {};
  imports[entry.module][entry.name] =
    entry.name === 'return_result' ? (ptr, size) => void (output = view(ptr, size).slice()) : () => 0;
}
const instance = new WebAssembly.Instance(module, imports);
memory = instance.exports.memory;
const { allocate, deallocate, run_e: run } = instance.exports;
instance.exports._initialize?.();

createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const ptr = allocate(body.length);
    view(ptr, body.length).set(body);
    run(ptr, body.length, 1);
    deallocate?.(ptr, body.length);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': output.length });
    response.end(output);
  });
}).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
