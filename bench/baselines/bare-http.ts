/**
 * The ceiling: a bare Node HTTP server that reads each body and answers 200 with the bridge's acknowledgement
 * bytes. What HTTP alone costs on this machine; no framework, no parsing, no Kafka.
 *
 *   tsx bench/baselines/bare-http.ts        prints {"msg":"listening","port":N} once it listens
 */
import { createServer } from 'node:http';
import { ACK } from './ack';

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': ACK.length });
    res.end(ACK);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
