# Runs a command whose stdout is a pipe nobody reads any more (its read end closed before the
# command starts), as in `switchyard status | head` once head has exited. Prints the exit status,
# then what the command wrote to stderr.
import os
import subprocess
import sys

r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, check=False)
os.close(w)
sys.stdout.write(f"{p.returncode}\n{p.stderr.decode()}")
