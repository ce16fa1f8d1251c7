/* A tiny shared library with known functions, built by the symbolization tests with:
 *   gcc -shared -fPIC -O1 -o libfixture.so fixture.c
 * Each function has a body large enough to hold a few addresses. */
int fixture_alpha(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * 3; return s; }
int fixture_beta(int x) { int s = 1; for (int i = 0; i < x; i++) s *= (i | 1); return s; }
__attribute__((noinline)) static int fixture_hidden(int x) { return x * 7 + fixture_alpha(x); }
int fixture_gamma(int x) { return fixture_hidden(x) + fixture_beta(x); }
