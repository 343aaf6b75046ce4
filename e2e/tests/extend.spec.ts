// Extend: offered only near expiry, adds the flow's length, refused after the
// flow's maximum. The server's clock cannot move, so the journey brings the
// expiry near by editing the store (the SQLite file or the PostgreSQL
// database), as the passing of time would.
import { test, expect, logIn, runSql, snapshot, submitViaApi } from '../fixtures';

/** Make request `id` expire `seconds` from now. */
function expireIn(db: string, id: number, seconds: number) {
  const at = Math.floor(Date.now() / 1000) + seconds;
  runSql(db, `UPDATE requests SET expires_at = ${at} WHERE id = ${Math.trunc(id)}`);
}

test('alice extends an access near expiry, then the extension is refused after the maximum', async ({ page, server }, testInfo) => {
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests', level: 1 })).toBeVisible();
  // GitHub self-service: extend by 1 hour, at most twice, offered in the last 15 minutes.
  const [id] = await submitViaApi(page, [{ resource: 'docs', permission: 'read' }]);
  await page.reload();
  const card = page.getByRole('list', { name: 'Requests' }).getByRole('listitem').first();
  await expect(card).toContainText('Active');
  await expect(card).toContainText(/(59 minutes|1 hour) left/);
  const extend = card.getByRole('button', { name: `Extend request ${id}` });
  await expect(extend).toHaveCount(0);

  // Ten minutes before expiry, Extend is offered and adds an hour.
  expireIn(server.db, id, 600);
  await page.reload();
  await expect(card).toContainText(/(9|10) minutes left/);
  await extend.click();
  const question = page.getByRole('dialog', { name: 'Extend this request?' });
  await question.getByRole('button', { name: 'Extend' }).click();
  await expect(question).toBeHidden();
  await expect(card).toContainText(/1 hour (9|10) minutes left/);
  await expect(extend).toHaveCount(0);

  // Near expiry again: alice opens the question, but the second and last
  // extension happens meanwhile (another tab); confirming is refused, with the reason.
  expireIn(server.db, id, 300);
  await page.reload();
  await extend.click();
  await expect(question).toBeVisible();
  expect((await page.request.post(`/api/v1/requests/${id}/extend`)).ok()).toBeTruthy();
  expireIn(server.db, id, 300);
  await question.getByRole('button', { name: 'Extend' }).click();
  await expect(question.getByRole('alert')).toHaveText(
    'This access has been extended the maximum number of times. Submit a new request to continue.',
  );
  await snapshot(page, testInfo, 'extend-refused');
  await question.getByRole('button', { name: 'No' }).click();

  // After the maximum, Extend is no longer offered, and the API refuses it.
  await page.reload();
  await expect(card).toContainText(/[45] minutes left/);
  await expect(extend).toHaveCount(0);
  const refused = await page.request.post(`/api/v1/requests/${id}/extend`);
  expect(refused.status()).toBe(409);
  expect((await refused.json()).message).toContain('maximum number of times');
  await card.getByRole('button').first().click();
  const panel = page.getByRole('dialog', { name: `Access Request #${id}` });
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Extend' })).toHaveCount(0);
});
