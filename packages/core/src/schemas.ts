/**
 * Optional validation of published data with any Standard Schema library (zod, valibot, arktype):
 * each names one `~standard` property with a `validate` function, so no library is imported here.
 * @see https://standardschema.dev
 */
import { SseEncodeError } from './errors.js';

/** What ssekit reads of a Standard Schema (v1): its `validate` function. */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}

/** A Standard Schema validation result: the value, or the issues found. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
      }>;
    };

/** Schemas by event name (`message` for events without a name). */
export type EventSchemas = Readonly<Record<string, StandardSchema>>;

/**
 * The data of an event named `name`, checked against its schema (when there is one): the schema's
 * output (a schema may transform), or an `SseEncodeError` (`INVALID_DATA`) listing the issues.
 * Validation must be synchronous: publishes keep their order only if none of them waits.
 */
export function validateData(schemas: EventSchemas, name: string, data: unknown): unknown {
  const schema = Object.hasOwn(schemas, name) ? schemas[name] : undefined;
  if (schema === undefined) return data;
  const result = schema['~standard'].validate(data);
  if (result instanceof Promise) {
    throw new SseEncodeError(
      'INVALID_DATA',
      'data',
      `The schema of "${name}" events validates asynchronously; publishing needs a synchronous schema (publishes must keep their order).`,
    );
  }
  if (result.issues === undefined) return result.value;
  const issues = result.issues.map((issue) =>
    issue.path?.length ? `${issue.path.map(keyOf).join('.')}: ${issue.message}` : issue.message,
  );
  throw new SseEncodeError('INVALID_DATA', 'data', `The data of a "${name}" event does not match its schema: ${issues.join('; ')}.`);
}

function keyOf(segment: PropertyKey | { readonly key: PropertyKey }): string {
  return String(typeof segment === 'object' ? segment.key : segment);
}
