import { inSpan, tracingSettings, useSpanRunner } from '../src/tracing';

describe('tracingSettings (the standard OTEL_* variables)', () => {
  it('when no OTLP endpoint is set, then tracing is off', () => {
    expect(tracingSettings('maths', {})).toBeUndefined();
    expect(tracingSettings('maths', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBeUndefined();
    expect(tracingSettings('maths', { OTEL_SERVICE_NAME: 'x' })).toBeUndefined();
  });

  it('when OTEL_SDK_DISABLED=true, then tracing is off whatever else is set', () => {
    expect(
      tracingSettings('maths', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
        OTEL_SDK_DISABLED: 'TRUE',
      }),
    ).toBeUndefined();
  });

  it('when an endpoint is set, then tracing is on with http/protobuf and the service name by default', () => {
    expect(tracingSettings('maths', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toEqual(
      {
        serviceName: 'maths',
        protocol: 'http/protobuf',
      },
    );
    expect(
      tracingSettings('maths', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/v1/traces' }),
    ).toBeDefined();
  });

  it('when OTEL_SERVICE_NAME and a protocol are set, then they are used (the traces-specific protocol first)', () => {
    expect(
      tracingSettings('maths', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
        OTEL_SERVICE_NAME: 'calc-maths',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      }),
    ).toEqual({ serviceName: 'calc-maths', protocol: 'http/json' });
  });

  it.each(['grpc', 'json', 'HTTP/JSON'])(
    'when the protocol is %s, then start-up stops with a line naming the variable',
    (protocol) => {
      expect(() =>
        tracingSettings('maths', {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        }),
      ).toThrow(
        `Invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL: expected one of http/protobuf, http/json (got "${protocol}")`,
      );
    },
  );
});

describe('inSpan (spans of our own)', () => {
  it('when tracing is off, then it is a plain call: the result or the throw of fn, and no OpenTelemetry module is loaded', () => {
    expect(inSpan('maths.add', { 'maths.operation': 'add' }, () => 42)).toBe(42);
    expect(() =>
      inSpan('maths.divide', {}, () => {
        throw new Error('no answer');
      }),
    ).toThrow('no answer');
    expect(Object.keys(require.cache).filter((m) => m.includes('@opentelemetry'))).toEqual([]);
  });

  it('when the SDK has set a runner, then fn runs through it with the name and attributes', () => {
    const seen: unknown[] = [];
    useSpanRunner((name, attributes, fn) => {
      seen.push([name, attributes]);
      return fn();
    });
    expect(inSpan('maths.add', { 'maths.operation': 'add' }, () => 3)).toBe(3);
    expect(seen).toEqual([['maths.add', { 'maths.operation': 'add' }]]);
  });
});
