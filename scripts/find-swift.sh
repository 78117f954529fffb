# Sourced by the scripts that build: puts a Swift 6 toolchain on PATH or stops with how to get one.
# `swift` on PATH wins; then the usual install places (a tarball in /opt/swift, swiftly's folder).
find_swift() {
  local dir
  if ! command -v swift >/dev/null 2>&1; then
    for dir in /opt/swift/usr/bin "$HOME/.local/share/swiftly/bin" "$HOME/.swiftly/bin" /usr/share/swift/usr/bin; do
      if [ -x "$dir/swift" ]; then export PATH="$dir:$PATH"; break; fi
    done
  fi
  if ! command -v swift >/dev/null 2>&1; then
    cat >&2 <<'MSG'
likeness: no Swift toolchain found (looked for `swift` on PATH, in /opt/swift/usr/bin and in swiftly's folder).
Install Swift 6 for Debian 12 from https://www.swift.org/install/linux/ (swiftly, or the tarball
unpacked so that /opt/swift/usr/bin/swift exists), then run this command again.
MSG
    return 1
  fi
  local major
  major="$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9]*\)\..*/\1/p' | head -n1)"
  if [ -z "$major" ] || [ "$major" -lt 6 ]; then
    echo "likeness: $(command -v swift) is Swift ${major:-of unknown version}; Likeness needs Swift 6 (https://www.swift.org/install/linux/)" >&2
    return 1
  fi
}
find_swift
