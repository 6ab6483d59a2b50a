/**
 * The embeddable registration widget (docs/web.md, "On a bank's own page"). A bank's page includes
 *
 *   <div data-kyc-registration data-request-uri="…/v1/registrations/<id>/request" data-qr="data:image/png…"></div>
 *   <script src="<bank service>/desk/kyc-embed.js" defer></script>
 *
 * with the reference its back end got from GET /v1/registrations/:id/reference. The widget shows the QR and
 * follows the public status stream (status only, never personal data) until the person is verified; it then
 * fires a `kyc-verified` DOM event on the element, for the page's own flow. Values are set as text.
 */

interface Status {
  readonly status: 'pending' | 'verifying' | 'verified' | 'expired';
}

const TEXT: Readonly<Record<Status['status'], string>> = {
  pending: 'Scan this code with your KYC wallet.',
  verifying: 'Checking…',
  verified: 'Verified. Thank you.',
  expired: 'This code expired. Reload the page for a new one.',
};

function mount(element: HTMLElement): void {
  const requestUri = element.dataset.requestUri ?? '';
  const match = /^(https?:\/\/[^/]+)\/v1\/registrations\/([A-Za-z0-9_-]{16,64})\/request$/.exec(requestUri);
  const qr = element.dataset.qr ?? '';
  if (match === null || !qr.startsWith('data:image/png;base64,')) {
    element.textContent = 'KYC: this registration cannot be shown.';
    return;
  }
  const image = document.createElement('img');
  image.src = qr;
  image.alt = 'QR code for your KYC wallet';
  image.style.maxWidth = '100%';
  const line = document.createElement('p');
  line.setAttribute('role', 'status');
  line.textContent = TEXT.pending;
  element.replaceChildren(image, line);
  const events = new EventSource(`${match[1] ?? ''}/v1/registrations/${match[2] ?? ''}/status`);
  events.addEventListener('status', (e) => {
    const { status } = JSON.parse((e as MessageEvent<string>).data) as Status;
    line.textContent = TEXT[status];
    element.dataset.status = status;
    if (status === 'verified' || status === 'expired') {
      events.close();
      image.hidden = true;
      if (status === 'verified') element.dispatchEvent(new CustomEvent('kyc-verified', { bubbles: true }));
    }
  });
}

for (const element of document.querySelectorAll<HTMLElement>('[data-kyc-registration]')) mount(element);
