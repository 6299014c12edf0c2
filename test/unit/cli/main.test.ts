/**
 * The conventions every command keeps (README, "The command line"): --help and --version answered on stdout with
 * exit 0, an unknown option or a stray argument refused with a hint and exit 2, a near miss suggested. Nothing here connects anywhere: a refusal comes before the config.
 */
import { main } from '../../../src/cli/main';

const COMMANDS = ['serve', 'tail', 'callbacks', 'simulate', 'replay', 'dedupe'] as const;

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => (stdout += String(chunk)) !== '');
  const err = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => (stderr += String(chunk)) !== '');
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('thingspace-bridge', () => {
  const saved = { ...process.env };
  // Were BRIDGE_CONFIG set, a command that let a bad flag through would go on to load it: no test relies on it.
  beforeEach(() => delete process.env.BRIDGE_CONFIG);
  afterEach(() => (process.env = { ...saved }));

  it.each(['--help', '-h'])('%s lists every command, exit 0', async (flag) => {
    const { code, stdout, stderr } = await cli(flag);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    for (const name of COMMANDS) expect(stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
  });

  it.each(['--version', '-v'])('%s prints the version, exit 0', async (flag) => {
    const { code, stdout } = await cli(flag);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('without a command prints the help on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await cli();
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain('Usage: thingspace-bridge <command> [options]');
  });

  it('refuses an unknown command with a suggestion, exit 2', async () => {
    const { code, stderr } = await cli('tial');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'tial'\n(Did you mean tail?)");
  });

  it('refuses an unknown option of its own, exit 2', async () => {
    const { code, stderr } = await cli('--verbose');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--verbose'");
  });

  describe.each(COMMANDS)('%s', (name) => {
    it('--help prints its usage and options, exit 0', async () => {
      const { code, stdout, stderr } = await cli(name, '--help');
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(stdout).toMatch(new RegExp(`^Usage: thingspace-bridge ${name} `));
      expect(stdout).toContain('-h, --help');
    });

    it('--version prints the version, exit 0', async () => {
      const { code, stdout } = await cli(name, '--version');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    });

    it('an unknown option is a usage error with a hint', async () => {
      const { code, stdout, stderr } = await cli(name, '--no-such-flag');
      expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
      expect(stderr).toContain("error: unknown option '--no-such-flag'");
      expect(stderr).toContain(`run 'thingspace-bridge ${name} --help' for usage`);
    });

    it('a near miss is suggested', async () => {
      const { code, stderr } = await cli(name, '--confg', 'x.yaml');
      expect(code).toBe(2);
      // simulate has no --config: commander suggests only what is close to an option the command has.
      if (name !== 'simulate') expect(stderr).toContain('(Did you mean --config?)');
    });
  });

  it.each(['serve', 'tail', 'simulate', 'replay'])('%s refuses a stray argument, exit 2', async (name) => {
    const { code, stderr } = await cli(name, 'stray');
    expect(code).toBe(2);
    expect(stderr).toContain('too many arguments');
  });

  it('serve --help is help, not a config error (issue 18)', async () => {
    const { code, stdout, stderr } = await cli('serve', '--help');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('-c, --config <file>');
  });
});
