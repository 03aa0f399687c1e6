#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 needs < 3.11), or explain what to do.
for cand in python3.10 "$HOME/.pyenv/versions/3.10"*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  for p in $cand; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$p"; exit 0
    fi
  done
done
if command -v pyenv >/dev/null 2>&1; then
  v=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | tail -n1)
  if [ -n "$v" ]; then echo "$(pyenv root)/versions/$v/bin/python3.10"; exit 0; fi
fi
echo "Kein Python 3.10 gefunden. Rasa 3.6 braucht Python 3.10. Installieren Sie es, z. B. mit 'pyenv install 3.10' oder 'apt-get install python3.10 python3.10-venv', und starten Sie den Befehl neu." >&2
exit 1
