/**
 * The chart's dashboard and alerts against the /metrics of the bridge and of the dedupe node: every metric name a
 * dashboard query or an alert expression uses must be one of them exports (their registries,
 * src/observability/metrics.ts and src/dedupe/metrics.ts), so a renamed metric fails here instead of leaving an
 * empty panel or an alert that can never fire.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDedupeMetrics } from '../../../src/dedupe/metrics';
import { createMetrics } from '../../../src/observability';
import { CHART, VARIANTS, helm, template } from './helm';

/** Words of PromQL that are neither metrics nor followed by `(`. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression (or a Grafana variable query, `label_values(<selector>, <label>)`) reads:
 * the identifiers left once strings, label matchers, ranges, grouping clauses and calls are taken out.
 */
function metricNames(expression: string): string[] {
  const stripped = expression
    .replace(/^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$/, '$1')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*(?![\w(])(?!\s*\()/g)) {
    if (!KEYWORDS.has(match[0].toLowerCase())) names.add(match[0]);
  }
  return [...names].sort();
}

/**
 * The sample names of the bridge's and the dedupe node's /metrics: a histogram's _bucket, _sum and _count, a
 * summary's _sum, _count.
 */
async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  const registries = [createMetrics().registry, createDedupeMetrics().registry];
  const metrics = (await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))).flat();
  for (const metric of metrics) {
    names.add(metric.name);
    const type = String(metric.type);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

interface Query {
  where: string;
  expression: string;
}

/** Every query of the dashboard: its panels' targets (rows' panels included) and its variables' queries. */
function dashboardQueries(): Query[] {
  const dashboard = JSON.parse(
    readFileSync(join(CHART, 'dashboards', 'thingspace-bridge.json'), 'utf8'),
  ) as DashboardJson;
  const queries: Query[] = [];
  const panels = (list: PanelJson[]): void => {
    for (const panel of list) {
      for (const target of panel.targets ?? []) {
        queries.push({ where: `panel "${panel.title}" ${target.refId}`, expression: target.expr });
      }
      panels(panel.panels ?? []);
    }
  };
  panels(dashboard.panels);
  for (const variable of dashboard.templating.list) {
    if (variable.type === 'query') {
      queries.push({ where: `variable ${variable.name}`, expression: variable.query!.query });
    }
  }
  return queries;
}

interface PanelJson {
  title: string;
  targets?: { refId: string; expr: string }[];
  panels?: PanelJson[];
}
interface DashboardJson {
  panels: PanelJson[];
  templating: { list: { name: string; type: string; query?: { query: string } }[] };
}

/** Every alert expression, from the monitoring variant (rules on, spool and dedupe alerts included). */
function ruleQueries(): Query[] {
  const rule = template([VARIANTS.monitoring]).one('PrometheusRule');
  const { groups } = rule.spec as { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
  return groups.flatMap((group) =>
    group.rules.map((r) => ({ where: `${group.name} ${r.alert}`, expression: r.expr })),
  );
}

/** `<where>: <name>` for each name no metric of the bridge or the dedupe node answers to. */
function unknownNames(queries: Query[], known: Set<string>): string[] {
  return queries.flatMap(({ where, expression }) =>
    metricNames(expression)
      .filter((name) => !known.has(name))
      .map((name) => `${where}: ${name}`),
  );
}

describe('metricNames', () => {
  it('finds the metrics of an expression and nothing else', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{job="x", le=~"1e3"}[5m]))) > 1e3',
      ),
    ).toEqual(['a_bucket']);
    expect(
      metricNames(
        '(sum by (s) (increase(a_total{o="d"}[10m])) or sum by (s) (a_total unless a_total offset 10m)) > 0',
      ),
    ).toEqual(['a_total']);
    expect(metricNames('sum(rate(a{x="$v"}[$__rate_interval])) / sum(b) * 100 > bool 0.5')).toEqual([
      'a',
      'b',
    ]);
    expect(metricNames('max(up) by (pod) and on(pod) c:recorded')).toEqual(['c:recorded', 'up']);
    expect(metricNames('label_values(g{namespace="$namespace", job="$job"}, pod)')).toEqual(['g']);
  });
});

describe('the dashboard and the alerts read only metrics the bridge or the dedupe node exports', () => {
  let known: Set<string>;
  beforeAll(async () => {
    helm(); // built by .ci/run under CI; the first local run builds it
    known = await exportedNames();
  }, 600_000);

  it('knows the bridge and dedupe metrics by their sample names', () => {
    expect(known).toContain('thingspace_bridge_requests_total');
    expect(known).toContain('thingspace_bridge_request_duration_seconds_bucket');
    expect(known).toContain('thingspace_dedupe_lag_records');
    expect(known).toContain('thingspace_dedupe_batch_duration_seconds_bucket');
    // An unknown name is reported with where it is used.
    expect(
      unknownNames([{ where: 'p', expression: 'rate(thingspace_bridge_nope_total[5m])' }], known),
    ).toEqual(['p: thingspace_bridge_nope_total']);
  });

  it('the dashboard', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    expect(unknownNames(queries, known)).toEqual([]);
  });

  it('the alerts', () => {
    const queries = ruleQueries();
    expect(queries.length).toBeGreaterThanOrEqual(11);
    expect(unknownNames(queries, known)).toEqual([]);
  });
});
