/**
 * The platform's rules for callback registrations, checked before anything is sent: HTTPS, since the platform
 * posts only to a CA-signed certificate, and one of the ports it accepts (THINGSPACE.md §4); one URL per service
 * and account (§1). The first two can be relaxed for a simulator on this machine, never silently.
 */
import { serviceKey } from '../thingspace/catalogue';
import { isRegistrablePort, portOf, REGISTRABLE_PORTS_TEXT } from '../thingspace/registrable-ports';
import { maskedUrl } from './desired';
import { InvalidRegistrationError } from './errors';

export interface UrlCheckOptions {
  /** Accept http: (a simulator, a test); the platform itself posts only over HTTPS. */
  allowHttp?: boolean;
  /** Accept any port (a simulator on an ephemeral port). */
  allowAnyPort?: boolean;
}

/** What is wrong with a callback URL for the platform, as phrases; empty when nothing is. */
export function callbackUrlProblems(text: string, options: UrlCheckOptions = {}): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return ['is not a URL'];
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:')) {
    problems.push(
      url.protocol === 'http:'
        ? 'must be https: ThingSpace posts only to a CA-signed certificate (--allow-http for a simulator)'
        : 'must be an https URL',
    );
  }
  if (url.username !== '' || url.password !== '') {
    problems.push('must not hold credentials (the registration carries them)');
  }
  if (!options.allowAnyPort && !isRegistrablePort(portOf(url))) {
    problems.push(
      `port ${portOf(url)} is not one ThingSpace accepts (${REGISTRABLE_PORTS_TEXT}; --allow-any-port for a simulator)`,
    );
  }
  return problems;
}

/** What `registrationProblems` reads of a registration. */
export interface RegistrationToCheck {
  accountName: string;
  serviceName: string;
  url: string;
}

/** Every rule broken by this set of registrations, as `account service: problem` lines. */
export function registrationProblems(
  registrations: readonly RegistrationToCheck[],
  options: UrlCheckOptions = {},
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { accountName, serviceName, url } of registrations) {
    const key = `${accountName}\n${serviceKey(serviceName)}`;
    if (seen.has(key)) problems.push(`${accountName} ${serviceName}: one URL per service, and it has two`);
    seen.add(key);
    for (const problem of callbackUrlProblems(url, options)) {
      problems.push(`${accountName} ${serviceName}: ${maskedUrl(url)} ${problem}`);
    }
  }
  return problems;
}

/** Throws InvalidRegistrationError listing every problem, before anything reaches the platform. */
export function checkRegistrations(
  registrations: readonly RegistrationToCheck[],
  options: UrlCheckOptions = {},
): void {
  const problems = registrationProblems(registrations, options);
  if (problems.length > 0) throw new InvalidRegistrationError(problems);
}
