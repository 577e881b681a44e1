/**
 * @module config/interpolate
 * `${VAR}` and `${VAR:-default}` in config files. Substitution happens after YAML parsing, on
 * scalar values only, so a secret containing `#`, `:` or quotes can never change the document's
 * structure. Because YAML forbids `{` in plain scalars inside flow mappings (as in DESIGN.md's
 * `auth: { master_key: ${SWITCHYARD_MASTER_KEY} }`), references are first swapped for inert
 * placeholder tokens, the text is parsed, and the placeholders are then resolved.
 */

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const PLACEHOLDER = /__SWITCHYARD_ENV_(\d+)__/g;
const WHOLE_PLACEHOLDER = /^__SWITCHYARD_ENV_(\d+)__$/;

interface Reference {
  name: string;
  fallback: string | undefined;
}

export interface Protected {
  text: string;
  references: Reference[];
}

/** Replaces every `${…}` in raw text by a YAML-safe placeholder token. */
export function protectReferences(text: string): Protected {
  const references: Reference[] = [];
  const out = text.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
    references.push({ name, fallback });
    return `__SWITCHYARD_ENV_${references.length - 1}__`;
  });
  return { text: out, references };
}

function resolve(reference: Reference, env: Readonly<Record<string, string | undefined>>): string {
  const value = env[reference.name];
  if (value !== undefined && value !== '') return value;
  return reference.fallback ?? '';
}

/**
 * Resolves placeholders in a parsed document. A scalar that is exactly one reference takes the
 * value's YAML type (`port: ${PORT:-4000}` is a number); an empty result removes the key, so an
 * unset variable reads as "not configured" rather than as an empty string.
 */
export function resolveReferences(
  value: unknown,
  references: readonly Reference[],
  env: Readonly<Record<string, string | undefined>>,
): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    if (whole) {
      const resolved = resolve(references[Number(whole[1])]!, env);
      if (resolved === '') return undefined;
      if (/^-?\d+(\.\d+)?$/.test(resolved)) return Number(resolved);
      if (resolved === 'true' || resolved === 'false') return resolved === 'true';
      return resolved;
    }
    if (!value.includes('__SWITCHYARD_ENV_')) return value;
    return value.replace(PLACEHOLDER, (_match, index: string) => resolve(references[Number(index)]!, env));
  }
  if (Array.isArray(value)) {
    return value.map((item) => resolveReferences(item, references, env)).filter((item) => item !== undefined);
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolveReferences(item, references, env);
      if (resolved !== undefined) out[key] = resolved;
    }
    return out;
  }
  return value;
}
