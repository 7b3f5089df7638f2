import { USER_NAME } from '../shared/events.js';

/**
 * Who this tab is: `?user=grace`, else ada. There is no sign-in in the demo; the name is sent
 * as the bearer token and the server takes it as it is.
 */
export function readUser(search: string): { user: string; peer: string } {
  const asked = new URLSearchParams(search).get('user')?.toLowerCase() ?? '';
  const user = USER_NAME.test(asked) ? asked : 'ada';
  return { user, peer: user === 'ada' ? 'grace' : 'ada' };
}
