// Pending MFA: the requester confirms with a code from an authenticator app.
import { test, expect, logIn, logOut, snapshot, submitViaApi } from '../fixtures';
import { createHmac } from 'node:crypto';

/** RFC 6238 code (HMAC-SHA1, 30 s, 6 digits) for a base32 seed, as an authenticator app shows it. */
function totp(secret: string, now = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(c);
    if (value >= 0) bits += value.toString(2).padStart(5, '0');
  }
  const key: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) key.push(parseInt(bits.slice(i, i + 8), 2));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const mac = createHmac('sha1', Buffer.from(key)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

test('a request of a flow that needs MFA waits in Pending MFA until alice confirms a code', async ({ page }, testInfo) => {
  // Carol (admin) makes GitHub self-service require MFA.
  await page.goto('/my-requests');
  await logIn(page, 'carol');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  const flows = await (await page.request.get('/api/v1/admin/access-flows')).json();
  const github = flows.find((flow: { name: string }) => flow.name === 'GitHub self-service');
  const { id, ...input } = github;
  const updated = await page.request.put(`/api/v1/admin/access-flows/${id}`, { data: { ...input, mfa_required: true } });
  expect(updated.ok(), await updated.text()).toBeTruthy();
  await logOut(page);

  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'New Request', level: 1 })).toBeVisible();
  await submitViaApi(page, [{ resource: 'docs', permission: 'read' }]);
  await page.goto('/my-requests');
  const mfa = page.getByRole('group', { name: 'Filter by status' }).getByRole('button', { name: /Pending MFA/ });
  await expect(mfa).toHaveText(/1\s*Pending MFA/);
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards.first()).toContainText('Pending MFA');
  await cards.first().getByRole('button').first().click();

  const panel = page.getByRole('dialog', { name: /Access Request #/ });
  await panel.getByRole('button', { name: 'Confirm with MFA' }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm with MFA' });
  await dialog.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = (await dialog.getByLabel('Setup key').textContent()) ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  // The QR code is drawn in the browser from the otpauth:// URI.
  const qr = dialog.getByRole('img', { name: 'QR code for your authenticator app' });
  await expect(qr).toBeVisible();
  await expect(qr.locator('svg')).toHaveCount(1);

  await dialog.getByLabel('Code from your authenticator app').fill('000000' === totp(secret) ? '111111' : '000000');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.locator('#mfa-code-error')).toBeVisible();
  await snapshot(page, testInfo, 'mfa-wrong-code');

  await dialog.getByLabel('Code from your authenticator app').fill(totp(secret));
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog).toBeHidden();
  await expect(panel).toContainText('Active');
  await expect(mfa).toHaveText(/0\s*Pending MFA/);
});
