# Sourced by scripts/install-*.sh: a package pinned by tools/<name>/package.json and its
# package-lock.json, installed with `npm ci` into a .tools/ folder (the caller defines log()).

# True when DEST holds a finished install of exactly SRC's pinned files.
npm_pinned_current() {
  local src="$1" dest="$2"
  [[ -f "$dest/.install-complete" ]] \
    && cmp -s "$src/package-lock.json" "$dest/package-lock.json" \
    && cmp -s "$src/package.json" "$dest/package.json"
}

npm_pinned_install() {
  local src="$1" dest="$2"
  log "installing into $dest"
  mkdir -p "$dest"
  rm -f "$dest/.install-complete"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  # npm ci removes any existing node_modules first, so partial installs heal.
  (cd "$dest" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error 1>&2)
  touch "$dest/.install-complete"
}
