import { USER_NAME } from '../shared/events.js';

/** Who a request is from. */
export type User = { id: string };

/**
 * Reads `Authorization: Bearer <user>`. In this demo the token *is* the user name, so two tabs
 * can be two users without a sign-in; a real app verifies a session or a JWT here instead.
 */
export function userFromAuthorization(header: string | undefined): User | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const name = match?.[1];
  return name && USER_NAME.test(name) ? { id: name } : undefined;
}
