// The built-in login and consent pages are plain HTML with no external assets (issue 11): no
// script, no link, no URL but the form posting back here, a Content-Security-Policy that would
// block anything else, and every value a client or user chose escaped.
import { consentPage, errorPage, loginPage, PAGE_HEADERS } from '../../src/auth/pages';

const hostile = '"><script src="https://evil.example/x.js"></script><img src=x>';

describe('login and consent pages', () => {
  const pages = [
    loginPage({ action: '/oauth/login', request: 'r1', csrf: 'c1', appName: hostile, error: hostile }),
    consentPage({ action: '/oauth/consent', request: 'r1', csrf: 'c1', appName: hostile, user: hostile, scopes: ['patient/*.rs', hostile], patients: [{ id: 'p1', label: hostile }], patientSearch: hostile }),
    consentPage({ action: '/oauth/consent', request: 'r1', csrf: 'c1', appName: 'App', user: 'dr', scopes: ['launch'], patient: 'p1' }),
    errorPage(hostile),
  ];

  it('load nothing from elsewhere and run no script', () => {
    for (const html of pages) {
      expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
      // No tag carries a src or href (escaped text that reads "src=" is not a tag).
      const tags = (html.match(/<[a-z][^>]*>/gi) ?? []).map((tag) => tag.replace(/"[^"]*"/g, '""'));
      expect(tags.filter((tag) => /\s(?:src|href)\s*=/i.test(tag))).toEqual([]);
      // The only URLs are the form actions, relative to this server.
      for (const [, action] of html.matchAll(/action="([^"]*)"/g)) expect(action).toMatch(/^\/oauth\//);
    }
  });

  it('escape what apps and users chose', () => {
    for (const html of pages.slice(0, 2).concat(pages[3])) expect(html).toContain('&quot;&gt;&lt;script src=&quot;https://evil.example/x.js&quot;&gt;');
  });

  it('are served with a policy that blocks anything but inline styles and posting back', () => {
    expect(PAGE_HEADERS['Content-Security-Policy']).toBe("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
    expect(PAGE_HEADERS).toMatchObject({ 'X-Frame-Options': 'DENY', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  });
});
