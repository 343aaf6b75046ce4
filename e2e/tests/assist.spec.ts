// Asking in plain words: Describe what you need on New Request, and an AI
// assistant filing the same request over MCP for bob to decide.
import { test, expect, logIn, logOut, snapshot } from '../fixtures';

const COMPLETE =
  "Reconciling last month's Stripe payouts for FIN-88; read-only is enough because I only compare the totals";

test("alice describes what she needs, adds billing.invoices read-only in one click and submits", async ({ page }, testInfo) => {
  await page.goto('/new-request');
  await logIn(page, 'alice');
  const assist = page.getByRole('region', { name: 'Describe what you need' });
  await assist.getByRole('searchbox', { name: 'Describe what you need' }).fill("I need to read last month's invoices");
  await assist.getByRole('button', { name: 'Suggest' }).click();
  const suggestions = assist.getByRole('list', { name: 'Suggestions' }).getByRole('listitem');
  await expect(suggestions.first()).toContainText('billing.invoices');
  await expect(suggestions.first()).toContainText('read-only');
  await expect(suggestions.first()).toContainText("matches 'invoices' in billing.invoices");
  await snapshot(page, testInfo, 'describe-what-you-need');

  await suggestions.first().getByRole('button', { name: 'Add billing.invoices (read-only)' }).click();
  await expect(suggestions.first().getByRole('button', { name: 'Add billing.invoices (read-only)' })).toBeDisabled();
  await expect(page.getByText('1 selected', { exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'Next' }).click();
  await expect(page.getByLabel('Permission for billing.invoices')).toHaveValue('read-only');

  // The indicator turns green only for a text that names the task, says why
  // the level is needed and carries a ticket.
  const field = page.getByLabel('Why do you need this access?');
  const verdict = page.getByText('Clear justification: approvers have what they need.');
  for (const weak of ['need access', 'because I need it', 'FIN-88', 'I need to read the invoices for FIN-88']) {
    await field.fill(weak);
    await expect(verdict).toHaveCount(0);
  }
  await field.fill(COMPLETE);
  await expect(verdict).toBeVisible();
  await page.getByRole('button', { name: 'Submit Request' }).click();
  await expect(page.getByRole('dialog', { name: 'Pending Approval' })).toBeVisible();
});

test('an MCP client files the same request and it waits for bob, marked via assistant', async ({ page, baseURL }, testInfo) => {
  await page.goto('/my-requests');
  await logIn(page, 'alice');
  await expect(page.getByRole('heading', { name: 'My Requests' })).toBeVisible();
  const token = await page.request.post('/api/v1/tokens', { data: { name: 'Claude' } });
  expect(token.ok()).toBeTruthy();
  const secret = (await token.json()).secret;
  const mcp = async (message: object, session?: string) => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${secret}`,
      Accept: 'application/json, text/event-stream',
      'Content-Type': 'application/json',
    };
    if (session) headers['Mcp-Session-Id'] = session;
    // The bearer token decides who acts, as for an assistant (the page's cookie is ignored).
    const answer = await page.context().request.fetch(`${baseURL}/mcp`, { method: 'POST', headers, data: message });
    return answer;
  };
  const init = await mcp({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'claude-desktop', version: '1' } } });
  expect(init.status()).toBe(200);
  const session = init.headers()['mcp-session-id'];
  const suggest = await mcp({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'suggest_access', arguments: { text: "I need to read last month's invoices" } } }, session);
  const top = (await suggest.json()).result.structuredContent.suggestions[0];
  expect(top.name).toBe('billing.invoices');
  const created = await mcp({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'create_access_request', arguments: {
    items: [{ resource_id: top.id, permission: top.permission }], duration_seconds: 3600, justification: COMPLETE } } }, session);
  const request = (await created.json()).result.structuredContent.requests[0];
  expect(request.status).toBe('Pending Approval');

  await page.reload();
  const cards = page.getByRole('list', { name: 'Requests' }).getByRole('listitem');
  await expect(cards.first()).toContainText('via assistant');
  await logOut(page);
  await logIn(page, 'bob');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Approvals/ }).click();
  const waiting = page.getByRole('list', { name: 'Waiting for approval' }).getByRole('listitem').filter({ has: page.getByRole('article') });
  await expect(waiting).toHaveCount(1);
  await expect(waiting.first()).toContainText('billing.invoices');
  await expect(waiting.first()).toContainText('via assistant (claude-desktop)');
  await expect(waiting.first()).toContainText('Clear justification');
  await snapshot(page, testInfo, 'approval-via-assistant');
});
