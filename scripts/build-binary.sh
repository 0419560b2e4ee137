#!/bin/sh
# Build wsdiag as one self-contained executable with PyInstaller: dist/wsdiag
# (dist/wsdiag.exe on Windows). No Python needed on the machine that runs it.
#
#   sh scripts/build-binary.sh            # uses python3 from PATH (or $PYTHON)
#   WSDIAG_DIST=/tmp/out sh scripts/build-binary.sh
#
# The Python that runs this must have wsdiag's dependencies (pip install '.[binary]'):
# PyInstaller freezes that interpreter and those packages; build from a clean environment
# to keep the binary small. PyInstaller is installed if missing. What goes in beyond plain
# import analysis (dnspython's record types, aioquic, the catalog, the schemas, exclusions)
# is in scripts/wsdiag.spec. The result is for the OS and CPU it is built on;
# .github/workflows/binary.yml builds the Windows and macOS ones. No code signing or
# notarisation.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DIST=${WSDIAG_DIST:-dist}
WORK=${WSDIAG_BUILD:-build/pyinstaller}

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    "$PYTHON" -m pip install --quiet --disable-pip-version-check 'pyinstaller>=6.0'
fi
exec "$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" scripts/wsdiag.spec
