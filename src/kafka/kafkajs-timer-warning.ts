/**
 * kafkajs 2.2.4 arms timers with negative delays on Node >= 24 (tulios/kafkajs#1751; fixed upstream by #1756 but
 * never released): Node clamps them to 1 ms and prints a TimeoutNegativeWarning for every connection. Harmless,
 * so exactly that warning type is dropped, from kafkajs and anything else; every other warning still prints.
 * Imported for its effect by every entry point that runs kafkajs. Remove with kafkajs.
 */
const emitWarning = process.emitWarning.bind(process) as (
  warning: string | Error,
  ...rest: unknown[]
) => void;

function typeOf(rest: unknown[]): unknown {
  const [typeOrOptions] = rest;
  return typeof typeOrOptions === 'object' && typeOrOptions !== null
    ? (typeOrOptions as { type?: unknown }).type
    : typeOrOptions;
}

process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
  if (typeOf(rest) === 'TimeoutNegativeWarning') return;
  emitWarning(warning, ...rest);
};
