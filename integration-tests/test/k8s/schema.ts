import { dirname, join } from 'node:path';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import ts from 'typescript';
import { id, type K8sObject } from './manifests';

/**
 * The kinds the kustomization may render, each with its kubernetes-models
 * class (the OpenAPI schema of Kubernetes 1.32, compiled to a validator) and
 * the module that declares its TypeScript interface (for unknown fields).
 * A new kind fails the check until it is added here.
 */
const KINDS = {
  'v1/Namespace': [Namespace, 'v1/Namespace'],
  'v1/ServiceAccount': [ServiceAccount, 'v1/ServiceAccount'],
  'v1/ConfigMap': [ConfigMap, 'v1/ConfigMap'],
  'v1/Secret': [Secret, 'v1/Secret'],
  'v1/Service': [Service, 'v1/Service'],
  'v1/PersistentVolumeClaim': [PersistentVolumeClaim, 'v1/PersistentVolumeClaim'],
  'apps/v1/Deployment': [Deployment, 'apps/v1/Deployment'],
  'apps/v1/StatefulSet': [StatefulSet, 'apps/v1/StatefulSet'],
  'policy/v1/PodDisruptionBudget': [PodDisruptionBudget, 'policy/v1/PodDisruptionBudget'],
  'autoscaling/v2/HorizontalPodAutoscaler': [
    HorizontalPodAutoscaler,
    'autoscaling/v2/HorizontalPodAutoscaler',
  ],
  'networking.k8s.io/v1/Ingress': [Ingress, 'networking.k8s.io/v1/Ingress'],
  'networking.k8s.io/v1/NetworkPolicy': [NetworkPolicy, 'networking.k8s.io/v1/NetworkPolicy'],
} as const;

type KindKey = keyof typeof KINDS;

/**
 * Each object against its Kubernetes OpenAPI schema (kubernetes-models'
 * validators: types, required fields, formats) and against unknown fields.
 */
export function schemaProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    const entry = KINDS[key as KindKey] as (typeof KINDS)[KindKey] | undefined;
    if (!entry) {
      problems.push(`${id(object)}: no schema for ${key} (add it to KINDS in ${__filename})`);
      continue;
    }
    const [Model] = entry;
    try {
      // The model's own validate(): throws with every schema error it found.
      new Model(object).validate();
    } catch (error) {
      problems.push(`${id(object)}: ${error instanceof Error ? error.message : String(error)}`);
    }
    problems.push(...unknownFields(object, key as KindKey).map((p) => `${id(object)}: ${p}`));
  }
  return problems;
}

/*
 * Unknown fields. kubernetes-models' validators ignore properties the schema
 * does not name (its compiled schemas set no `additionalProperties: false`),
 * so a misspelt `readinesProbe` would pass them, and the API server would
 * drop it with a warning: a pod without a readiness probe. The package's
 * TypeScript declarations do name every field, so the rendered JSON is
 * walked along the declared interfaces with TypeScript's own type checker.
 */
let checker: ts.TypeChecker | undefined;
const rootTypes = new Map<KindKey, ts.Type>();

function declaredType(kind: KindKey): ts.Type {
  if (!checker) {
    const dir = __dirname;
    const entryFile = join(dir, '__k8s-kinds__.ts');
    const keys = Object.keys(KINDS) as KindKey[];
    const source = keys
      .map((k, i) => {
        const module = KINDS[k][1];
        const name = module.slice(module.lastIndexOf('/') + 1);
        return `import type { I${name} as T${i} } from 'kubernetes-models/${module}';\nexport declare const k${i}: T${i};`;
      })
      .join('\n');
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, ...rest) =>
      fileName === entryFile
        ? ts.createSourceFile(fileName, source, languageVersion)
        : getSourceFile(fileName, languageVersion, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (fileName) => fileName === entryFile || fileExists(fileName);
    const program = ts.createProgram([entryFile], options, host);
    checker = program.getTypeChecker();
    const file = program.getSourceFile(entryFile);
    const symbol = file && checker.getSymbolAtLocation(file);
    if (!symbol)
      throw new Error(`could not load kubernetes-models' declarations from ${dirname(entryFile)}`);
    const exports = checker.getExportsOfModule(symbol);
    keys.forEach((k, i) => {
      const exported = exports.find((e) => e.name === `k${i}`);
      if (!exported) throw new Error(`no declaration for ${k}`);
      const type = checker!.getTypeOfSymbol(exported);
      if (type.flags & ts.TypeFlags.Any) {
        throw new Error(`kubernetes-models/${KINDS[k][1]} did not resolve: its type is any`);
      }
      rootTypes.set(k, type);
    });
  }
  return rootTypes.get(kind)!;
}

function unknownFields(object: K8sObject, kind: KindKey): string[] {
  const problems: string[] = [];
  walk(object, declaredType(kind), '', problems);
  return problems;
}

function walk(value: unknown, declared: ts.Type, path: string, problems: string[]): void {
  if (value === null || typeof value !== 'object' || !checker) return;
  const type = objectPart(checker.getNonNullableType(declared));
  if (!type) return; // a primitive, any or unknown: nothing to walk into
  if (Array.isArray(value)) {
    if (!checker.isArrayType(type)) return; // wrong type: the schema validator reports it
    const element = checker.getTypeArguments(type as ts.TypeReference)[0];
    if (element) value.forEach((item, i) => walk(item, element, `${path}[${i}]`, problems));
    return;
  }
  const index = checker.getIndexTypeOfType(type, ts.IndexKind.String);
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const property = type.getProperty(key);
    const where = path ? `${path}.${key}` : key;
    if (property) walk(child, checker.getTypeOfSymbol(property), where, problems);
    else if (index) walk(child, index, where, problems);
    else problems.push(`unknown field "${where}"`);
  }
}

/** The object member of a declared type (`string | number` and the like have none). */
function objectPart(type: ts.Type): ts.Type | undefined {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
  if (type.isUnion()) {
    const objects = type.types.filter((t) => t.flags & ts.TypeFlags.Object);
    return objects.length === 1 ? objects[0] : undefined;
  }
  return type.flags & ts.TypeFlags.Object ? type : undefined;
}
