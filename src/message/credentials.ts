import type { MessageNode } from './types';

/**
 * Which element (XML, by local name) or member (JSON, by key) holds a credential, wherever it sits in a message.
 * Both parsers empty such a value everywhere it would leave the bridge: the payload trees (hence the flattened
 * fields), their source fragments and the redacted message of dead letters. A sender may echo its password
 * inside `Data` or an unknown element; that copy must not be published either (issue 15).
 *
 * The rule: the name, lower-cased and with everything but letters and digits removed (`api_key`, `API-Key` and
 * `apiKey` alike), contains one of CREDENTIAL_WORDS, or is one of CREDENTIAL_NAMES. It errs on the side of
 * removing: a value lost from an event is a smaller harm than a secret published to every consumer. A copy of
 * the message's own password under another name is found by its value (holdsSecret) and emptied too.
 */

/** Words that make a name a credential's wherever they appear in it (`appSecret`, `accessToken`, ...). */
export const CREDENTIAL_WORDS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'credential',
  'privatekey',
];

/** Names that are a credential's only when they are the whole name: as a part of one they mean too much else. */
export const CREDENTIAL_NAMES: ReadonlySet<string> = new Set(['pwd', 'pin', 'otp']);

// Called for every element and member: one regular expression, and no new string for the usual plain name.
const WORD = new RegExp(CREDENTIAL_WORDS.join('|'), 'i');
const SEPARATOR = /[^A-Za-z0-9]/;
const SEPARATORS = /[^A-Za-z0-9]/g;
const LONGEST_NAME = Math.max(...Array.from(CREDENTIAL_NAMES, (name) => name.length));

export function isCredentialName(name: string): boolean {
  const folded = SEPARATOR.test(name) ? name.replace(SEPARATORS, '') : name;
  return WORD.test(folded) || (folded.length <= LONGEST_NAME && CREDENTIAL_NAMES.has(folded.toLowerCase()));
}

/**
 * Whether a node of these trees holds `secret` as its whole value (trimmed): its text or an attribute's. How the
 * parsers find a copy of the message's own password under a name no rule would call a credential's (a sender
 * or a broken client renaming it); they then read the message again, emptying every such value.
 */
export function holdsSecret(nodes: readonly MessageNode[], secret: string): boolean {
  return nodes.some(
    (node) =>
      node.text.trim() === secret ||
      Object.values(node.attributes).some((value) => value.trim() === secret) ||
      holdsSecret(node.children, secret),
  );
}
