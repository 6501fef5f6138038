import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './policy/types.js';

/** Absolute path of a file or folder given relative to the repository root. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

/** True when `kubectl` is on PATH (the k8s tests render with `kubectl kustomize`). */
export function hasKubectl(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v kubectl'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Renders a kustomization directory (relative to the repository root) and returns its
 * objects. Throws with kustomize's message when the build fails.
 */
export function renderKustomization(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', repoPath(dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseObjects(out, dir);
}

/** Parses every YAML document of a file (path relative to the repository root). */
export function loadYaml(path: string): unknown[] {
  return parseDocuments(readFileSync(repoPath(path), 'utf8'), path);
}

function parseObjects(text: string, source: string): K8sObject[] {
  return parseDocuments(text, source).filter((d): d is K8sObject => d !== null && typeof d === 'object');
}

function parseDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${source}: YAML document ${i}: ${doc.errors[0]?.message}`);
    return doc.toJS() as unknown;
  });
}
