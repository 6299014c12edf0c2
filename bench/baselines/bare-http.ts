/**
 * The ceiling: a bare Node HTTP server that reads each body and answers 200 with the bridge's acknowledgement
 * bytes. What HTTP alone costs on this machine; no framework, no parsing, no Kafka.
 *
 *   tsx bench/baselines/bare-http.ts        prints {"msg":"listening","port":N} once it listens
 */
import { createServer } from 'node:http';
import { ACK, serveUntilTerminated } from './common';

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': ACK.length });
    res.end(ACK);
  });
});
serveUntilTerminated(server);
