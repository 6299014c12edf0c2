/**
 * Registrations and sync plans as text for operators, in the spirit of `terraform plan`: one line per service,
 * a sign for what happens to it, a summary line. Credentials never appear: only whether they are set; nor do
 * path tokens: every URL is shown masked (desired.ts).
 */
import type { WireFormat } from '../message/types';
import type { CallbackRegistration } from './client';
import { maskedUrl } from './desired';
import { countByAction } from './plan';
import type { ChangeReason, PlannedChange, SyncPlan } from './plan';

const SIGNS: Readonly<Record<PlannedChange['action'], string>> = {
  register: '+',
  reregister: '~',
  unregister: '-',
  unchanged: ' ',
  ignored: '#',
};

const REASONS: Readonly<Record<ChangeReason, string>> = {
  url: 'URL',
  username: 'username',
  duplicate: 'registered twice',
  forced: '--force',
};

export function formatPlan(plan: SyncPlan): string {
  const lines: string[] = [];
  let account: string | undefined;
  const width = Math.max(0, ...plan.entries.map((entry) => serviceOf(entry).length));
  for (const entry of plan.entries) {
    const owner = 'desired' in entry ? entry.desired.accountName : entry.actual.accountName;
    if (owner !== account) {
      if (account !== undefined) lines.push('');
      lines.push(`account ${owner}`);
      account = owner;
    }
    lines.push(`  ${SIGNS[entry.action]} ${serviceOf(entry).padEnd(width)}  ${describe(entry, plan.api)}`);
  }
  if (lines.length > 0) lines.push('');
  lines.push(summary(plan));
  return `${lines.join('\n')}\n`;
}

function serviceOf(entry: PlannedChange): string {
  return 'desired' in entry ? entry.desired.serviceName : entry.actual.serviceName;
}

function describe(entry: PlannedChange, api: WireFormat): string {
  switch (entry.action) {
    case 'register':
      return maskedUrl(entry.desired.url);
    case 'reregister': {
      const [from, to] = [maskedUrl(entry.actual.url), maskedUrl(entry.desired.url)];
      // URLs that differ only in their path token look the same once masked: say which part changed.
      const reasons = entry.reasons.map((reason) =>
        reason === 'url' && from === to ? 'path token' : REASONS[reason],
      );
      const why = `(${reasons.join(', ')})`;
      return entry.reasons.includes('url') && from !== to ? `${from} -> ${to}  ${why}` : `${to}  ${why}`;
    }
    case 'unregister':
      return maskedUrl(entry.actual.url);
    case 'unchanged':
      return maskedUrl(entry.actual.url);
    case 'ignored':
      return `${maskedUrl(entry.actual.url)}  (left alone: not a ${api.toUpperCase()} callback service the bridge knows)`;
  }
}

function summary(plan: SyncPlan): string {
  const counts = countByAction(plan);
  const changes = counts.register + counts.reregister + counts.unregister;
  const others = [
    `${counts.unchanged} unchanged`,
    ...(counts.ignored > 0 ? [`${counts.ignored} left alone`] : []),
  ].join(', ');
  if (changes === 0) return `No changes: ${others}.`;
  return (
    `Plan: ${counts.register} to register, ${counts.reregister} to re-register, ` +
    `${counts.unregister} to unregister; ${others}.`
  );
}

/** `list`: account, service, URL and whether callback credentials are set, as a table. */
export function formatRegistrations(registrations: readonly CallbackRegistration[]): string {
  const rows = registrations.map((entry) => [
    entry.accountName,
    entry.serviceName,
    maskedUrl(entry.url),
    entry.username === undefined ? 'not reported' : entry.username === '' ? 'no' : 'yes',
  ]);
  if (rows.length === 0) return 'No callback registrations.\n';
  const header = ['ACCOUNT', 'SERVICE', 'URL', 'CREDENTIALS'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
