import { randomBytes } from 'node:crypto';

/** Kafka's reserved ids (Uuid.RESERVED): the zero id and the metadata topic's id. */
const RESERVED = new Set([Buffer.alloc(16), Buffer.from([...Array<number>(15).fill(0), 1])].map(encode));

/**
 * A KRaft cluster id: 16 random bytes in base64url without padding, as `kafka-storage random-uuid` prints it.
 *
 * Like Kafka's own Uuid.randomUuid(), it draws again rather than return an id that starts with '-' (one draw in 64:
 * the first six bits are 111110), which `StorageTool format -t <id>` would read as an option, or a reserved id.
 * `random` is for tests.
 */
export function clusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = encode(random());
    if (!id.startsWith('-') && !RESERVED.has(id)) return id;
  }
}

function encode(bytes: Buffer): string {
  if (bytes.length !== 16) throw new Error(`a cluster id has 16 bytes, not ${bytes.length}`);
  return bytes.toString('base64url');
}
