import { capturingLogger } from '../src/testing';
import { graphiteEvents } from '../src/graphite-events';
import { onceWarningLogger } from '../src/otel';
import { tracingSettings } from '../src/tracing';

// The error paths that print a configured URL while the service runs (not
// only at start-up): each must print it without its credentials.

describe('a configured URL with credentials, in the error paths that print it', () => {
  it('when a Graphite event cannot be posted to a GRAPHITE_URL with a password, then the warning hides it', async () => {
    const { lines, logger } = capturingLogger();
    // fetch refuses a URL with credentials, quoting the URL in its message.
    const post = graphiteEvents({ url: 'http://admin:pw@127.0.0.1:9', logger, timeoutMs: 500 });
    expect(await post({ what: 'test', tags: ['experiment'] })).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'graphite event not posted' });
    expect(String(lines[0]!.err)).toContain('http://***@127.0.0.1:9');
    expect(JSON.stringify(lines)).not.toContain('pw');
  });

  it.each([
    [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'http://user:pw@collector:4318',
      'http://***@collector:4318/v1/traces',
    ],
    [
      'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      'http://collector:4318/v1/traces?api_key=pw',
      'http://collector:4318/v1/traces?api_key=***',
    ],
  ])(
    'when traces cannot be sent to %s=%j, then the one warning names the endpoint without the secret',
    (name, value, shown) => {
      const saved = process.env[name];
      process.env[name] = value;
      try {
        let written = '';
        const { warnOnce } = onceWarningLogger('maths', (line) => {
          written += line;
          return true;
        });
        warnOnce(`export failed: connect ECONNREFUSED (${value})`);
        expect(written).toContain(shown);
        expect(written).not.toContain('pw');
      } finally {
        if (saved === undefined) delete process.env[name];
        else process.env[name] = saved;
      }
    },
  );

  it('when OTEL_EXPORTER_OTLP_PROTOCOL is refused, then its value is shown without credentials', () => {
    expect(() =>
      tracingSettings('maths', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http://u:pw@collector:4318',
      }),
    ).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL: expected one of .* \(got "http:\/\/\*\*\*@collector:4318"\)$/,
    );
  });
});
