/** POSTs JSON as `user` (the same bearer token the stream uses); rejects on a non-2xx answer. */
export async function post<T = void>(path: string, user: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const problem = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
    throw new Error(problem?.error ?? `${path} answered ${response.status}`);
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}
