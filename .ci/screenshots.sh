#!/usr/bin/env bash
# Refreshes docs/screenshots/ from the console's browser tests: each screenshot a test takes
# (Browser.Tab.screenshot) is also written there when the tests run with -Dbaton.docs.screenshots=true.
# Without arguments it runs every browser test (web-console's console/*Test, some minutes); with
# arguments they go to Maven, e.g. to refresh one class's pictures:
#   .ci/screenshots.sh -Dtest=AccessibilityConsoleTest
# Then look at `git status docs/screenshots` and commit the pictures that changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

tests=('-Dtest=dev.baton.server.console.*Test')
[ "$#" -gt 0 ] && tests=()
# -am builds the modules web-console needs in the same reactor (nothing is installed into ~/.m2).
mvn -B -pl web-console -am test -Dsurefire.failIfNoSpecifiedTests=false -Dbaton.docs.screenshots=true "${tests[@]}" "$@"
ls -l docs/screenshots
