# Sourced by driver.sh and dataplane.sh: unpacks the bundle beside them (bundle.sh) into $work,
# emptied first, and sets $node to its node binary. Python's tarfile, since that machine may
# have no xz.
unpack_bundle() {
  rm -rf "$work" && mkdir -p "$work"
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="data")' \
    "$here/sy.tar.xz" "$work" || exit 1
  node=$work/node
  chmod +x "$node"
}
