import { CSRF_HEADER, type SessionView } from '../../../protocol/src/http/web-api';
import { byId, say } from './dom';
import { json, messageOf, type JsonRequest } from './http';

/**
 * The officer pages' side of the session: the cookie is HttpOnly (this script never sees it); the CSRF token
 * from GET /v1/session goes into the header of every state change.
 */

let session: SessionView | undefined;

export async function currentSession(): Promise<SessionView> {
  session = await json<SessionView>('/v1/session', { credentials: 'same-origin' });
  return session;
}

export function api<T>(path: string, request: JsonRequest = {}): Promise<T> {
  const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> =
    method === 'GET' || session === undefined ? {} : { [CSRF_HEADER]: session.csrf };
  return json<T>(path, { ...request, headers: { ...request.headers, ...headers }, credentials: 'same-origin' });
}

/** Shows who is signed in, binds sign-out; a page without a session goes to sign-in. */
export async function startOfficerPage(): Promise<SessionView> {
  let current: SessionView;
  try {
    current = await currentSession();
  } catch {
    location.assign('signin.html');
    throw new Error('not signed in');
  }
  byId('officer').textContent = current.officer;
  byId('sign-out').addEventListener('click', () => {
    void api('/v1/session', { method: 'DELETE' })
      .catch((err: unknown) => {
        say(byId('message'), messageOf(err), 'error');
      })
      .then(() => {
        location.assign('signin.html');
      });
  });
  return current;
}
