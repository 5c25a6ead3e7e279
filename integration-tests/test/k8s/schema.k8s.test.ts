import { copy, find, render, type Workload } from './manifests';
import { schemaProblems } from './schema';

const rendered = render();

const greetingsContainer = (objects: ReturnType<typeof copy>) =>
  (find(objects, 'Deployment', 'greetings') as Workload).spec.template.spec
    .containers[0]! as unknown as Record<string, unknown>;

describe('the rendered objects against the Kubernetes schemas', () => {
  it('when deploy/kubernetes is rendered, then every object is valid and has no unknown field', () => {
    expect(schemaProblems(rendered)).toEqual([]);
  });

  it('when a container says readinesProbe (misspelt), then the check names the unknown field', () => {
    const objects = copy(rendered);
    const container = greetingsContainer(objects);
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    expect(schemaProblems(objects)).toEqual([
      'Deployment/greetings: unknown field "spec.template.spec.containers[0].readinesProbe"',
    ]);
  });

  it('when a field deep inside is misspelt, then the check names its whole path', () => {
    const objects = copy(rendered);
    const policy = find(objects, 'NetworkPolicy', 'maths') as unknown as {
      spec: { ingress: { from: Record<string, unknown>[] }[] };
    };
    policy.spec.ingress[0]!.from[0]!.podSelektor = policy.spec.ingress[0]!.from[0]!.podSelector;
    expect(schemaProblems(objects)).toEqual([
      'NetworkPolicy/maths: unknown field "spec.ingress[0].from[0].podSelektor"',
    ]);
  });

  it('when a value has the wrong type, then the schema validator rejects it', () => {
    const objects = copy(rendered);
    const ports = greetingsContainer(objects).ports as { containerPort: unknown }[];
    ports[0]!.containerPort = '5002';
    const problems = schemaProblems(objects);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Deployment\/greetings: .*containerPort must be integer/);
  });

  it('when a required field is missing, then the schema validator rejects it', () => {
    const objects = copy(rendered);
    delete greetingsContainer(objects).name;
    const problems = schemaProblems(objects);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Deployment\/greetings: .*must have required property '?name'?/);
  });

  it('when an object is of a kind the check does not know, then it says so instead of passing it', () => {
    const objects = copy(rendered);
    objects.push({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' } });
    expect(schemaProblems(objects)).toEqual([
      expect.stringMatching(/^CronJob\/x: no schema for batch\/v1\/CronJob/),
    ]);
  });

  it('when labels and ConfigMap data carry any keys, then they are not "unknown fields"', () => {
    const objects = copy(rendered);
    find(objects, 'Deployment', 'maths').metadata.labels!['example.com/anything'] = 'yes';
    (
      find(
        objects,
        'ConfigMap',
        objects.find((o) => o.metadata.name.startsWith('public-url'))!.metadata.name,
      ) as unknown as { data: Record<string, string> }
    ).data.ANY_KEY = 'x';
    expect(schemaProblems(objects)).toEqual([]);
  });
});
