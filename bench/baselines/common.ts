/** What both reference servers share, so they differ only in what they do with a callback. */
import type { Server } from 'node:http';

/** The 200 body every benchmark target answers with: the bridge's own acknowledgement, so answers cost the same. */
export { ACK_BODY as ACK } from '../../src/http/soap-responses';

/**
 * Listens on a free loopback port and prints `{"msg":"listening","port":N}` for bench/targets.ts; on SIGTERM stops
 * accepting, runs `cleanUp` once the open connections are done, and exits 0.
 */
export function serveUntilTerminated(
  server: Server,
  cleanUp: () => Promise<void> = async () => undefined,
): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
  });
  process.once('SIGTERM', () => {
    server.close(() => void cleanUp().then(() => process.exit(0)));
    server.closeIdleConnections();
  });
}
