/**
 * A separate process for ports.test.ts: waits until the given instant, claims every port it can from the list,
 * prints the ones it got as JSON, and holds them (stays alive) until its stdin closes.
 *   node --import tsx claim-worker.ts <lockDir> <owner> <startAtMs> <port,port,...>
 */
import { claimPort } from '../../../infra/stack/ports';

const [dir, owner, startAt, list] = process.argv.slice(2);
const ports = list!.split(',').map(Number);

setTimeout(
  () => {
    const claimed = ports.filter((port) => claimPort(port, { dir: dir!, owner: owner! }) !== undefined);
    process.stdout.write(`${JSON.stringify(claimed)}\n`);
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
  },
  Math.max(0, Number(startAt) - Date.now()),
);
