import { loadAwesomeAppConfig } from '../../src/config';

describe('TRACES_URL', () => {
  it('when unset or empty, then there is no trace link', () => {
    expect(loadAwesomeAppConfig({}).TRACES_URL).toBeUndefined();
    expect(loadAwesomeAppConfig({ TRACES_URL: '' }).TRACES_URL).toBeUndefined();
  });

  it('when it is a URL with {traceId} in it, then it is kept as written', () => {
    const url = 'http://localhost:16686/trace/{traceId}';
    expect(loadAwesomeAppConfig({ TRACES_URL: url }).TRACES_URL).toBe(url);
  });

  it.each([
    ['no {traceId}', 'http://localhost:16686/trace/'],
    ['{traceId} twice', 'http://x/{traceId}/{traceId}'],
    ['not http', 'javascript:alert(1)//{traceId}'],
    ['not a URL', 'trace {traceId}'],
  ])('when it has %s, then start-up stops with a line naming TRACES_URL', (_what, value) => {
    expect(() => loadAwesomeAppConfig({ TRACES_URL: value })).toThrow(/TRACES_URL: expected/);
  });
});

describe('GRAFANA_URL and GRAPHITE_URL', () => {
  it('when unset (npm start), then there is nothing to link to', () => {
    const config = loadAwesomeAppConfig({});
    expect(config.GRAFANA_URL).toBeUndefined();
    expect(config.GRAPHITE_URL).toBeUndefined();
  });

  it('when set, then they are kept; when not http(s), then start-up stops naming them', () => {
    expect(loadAwesomeAppConfig({ GRAFANA_URL: 'http://g:3000' }).GRAFANA_URL).toBe(
      'http://g:3000',
    );
    expect(() => loadAwesomeAppConfig({ GRAPHITE_URL: 'ftp://x' })).toThrow(/GRAPHITE_URL/);
  });
});
