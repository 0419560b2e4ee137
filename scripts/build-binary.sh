#!/bin/sh
# Build wsdiag as one self-contained executable with PyInstaller: dist/wsdiag
# (dist/wsdiag.exe on Windows). No Python needed on the machine that runs it.
#
#   sh scripts/build-binary.sh            # uses python3 from PATH (or $PYTHON)
#   WSDIAG_DIST=/tmp/out sh scripts/build-binary.sh
#
# The Python that runs this must have wsdiag's dependencies (pip install '.[binary]'
# or, in a checkout, the requirements): PyInstaller freezes that interpreter and those
# packages. PyInstaller is installed if missing. What a plain analysis would miss, added
# explicitly:
#   - dnspython imports its record types (dns.rdtypes.*) by name at run time;
#   - aioquic's and pylsqpack's compiled parts and certifi's CA bundle;
#   - the catalog (probes/catalog.toml, the package data wsdiag.catalogs) and the JSON
#     schemas, which are data files, not imports.
# Excluded: optional imports of libraries wsdiag never uses (dnspython's trio backend pulls
# in IPython, numpy, jedi, tkinter) and the test/dev tools of a developer's environment;
# without this a build from a developer's environment is 3x the size and slower to start.
# The result is for the OS and CPU it is built on; .github/workflows/binary.yml builds the
# Windows and macOS ones. No code signing or notarisation.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DIST=${WSDIAG_DIST:-dist}
WORK=${WSDIAG_BUILD:-build/pyinstaller}

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    "$PYTHON" -m pip install --quiet --disable-pip-version-check 'pyinstaller>=6.0'
fi
# Since PyInstaller 6, ':' separates source and destination of --add-data on every OS.
exec "$PYTHON" -m PyInstaller --noconfirm --onefile --log-level WARN \
    --name wsdiag --distpath "$DIST" --workpath "$WORK" --specpath "$WORK" \
    --paths "$PWD" \
    --collect-submodules dns.rdtypes \
    --collect-submodules wsdiag \
    --collect-all aioquic \
    --collect-data certifi \
    --exclude-module trio --exclude-module IPython --exclude-module numpy \
    --exclude-module jedi --exclude-module tkinter --exclude-module _tkinter \
    --exclude-module pytest --exclude-module _pytest --exclude-module hypothesis \
    --exclude-module mypy --exclude-module setuptools --exclude-module yaml \
    --add-data "$PWD/probes/catalog.toml:wsdiag/catalogs" \
    --add-data "$PWD/wsdiag/schema:wsdiag/schema" \
    "$PWD/wsdiag/__main__.py"
