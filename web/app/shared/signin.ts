import { byId, control, say } from './dom';
import { json, messageOf } from './http';

/** Sign-in of the desk and the console: the officer's token is posted once; the service sets the cookie. */

byId('signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = control('token', HTMLInputElement);
  const button = control('signin', HTMLButtonElement);
  button.disabled = true;
  void json('/v1/session', { body: { token: input.value.trim() }, credentials: 'same-origin' })
    .then(() => {
      input.value = '';
      location.assign('./');
    })
    .catch((err: unknown) => {
      say(byId('message'), `Sign-in failed: ${messageOf(err)}`, 'error');
    })
    .finally(() => {
      button.disabled = false;
    });
});
