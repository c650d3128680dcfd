#!/bin/sh
# shellcheck disable=SC2317 # functions below are called through run_one
# prog_sqlite3: the sqlite3 CLI on bastion. Usage: sqlite3.sh /path/to/libbastion.so
# shellcheck source=tests/programs/common.sh
. "$(dirname "$0")/common.sh"
bst_init "$1"
need sqlite3
echo "sqlite3: $(command -v sqlite3) ($(sqlite3 --version | cut -d' ' -f1))"

mkdir "$T/work"
cd "$T/work" || die "cd $T/work"

# The workload; $1 is the probe file.  Both runs use the same database path.
write_sql() {
	cat <<EOF
.bail on
.headers off
.mode list
-- Probe: read this very process's /proc/self/maps into a table.
CREATE TEMP TABLE maps(line TEXT);
.mode csv
.import /proc/self/maps maps
.mode list
.output $1
SELECT CASE WHEN count(*) > 0 THEN 'loaded=1' ELSE 'loaded=0' END
  FROM maps WHERE line LIKE '%libbastion%';
.output stdout
DROP TABLE maps;

PRAGMA journal_mode = WAL;
PRAGMA cache_size = -8000;
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, val REAL, blob BLOB);
CREATE TABLE g(grp INTEGER PRIMARY KEY, label TEXT);

BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
INSERT INTO t(id, grp, name, val, blob)
  SELECT x, x % 97, 'name-' || printf('%06d', (x * 7919) % 100003) || substr('abcdefghij', 1 + x % 10),
         (x * 31 % 1000) / 7.0, zeroblob(x % 300)
  FROM c;
WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 96)
INSERT INTO g SELECT x, 'group-' || x || '-' || hex(x * 12345) FROM c;
COMMIT;

CREATE INDEX t_grp ON t(grp, val);
CREATE INDEX t_name ON t(name);

SELECT 'count', count(*) FROM t;
SELECT 'sum', sum(id), sum(grp), printf('%.4f', sum(val)), sum(length(blob)) FROM t;
SELECT 'group', grp, count(*), printf('%.3f', avg(val)), min(name), max(name)
  FROM t GROUP BY grp ORDER BY grp LIMIT 20;
SELECT 'join', g.label, count(*), printf('%.2f', sum(t.val))
  FROM t JOIN g ON g.grp = t.grp WHERE t.val > 100 GROUP BY g.label ORDER BY g.label LIMIT 25;
SELECT 'like', count(*) FROM t WHERE name LIKE 'name-00%';
SELECT 'like2', count(*), min(id), max(id) FROM t WHERE name LIKE '%9abc%';
SELECT 'glob', count(*) FROM t WHERE name GLOB '*[13579]abcdefghij';
SELECT 'idx', id, name FROM t WHERE name >= 'name-05' ORDER BY name LIMIT 5;
SELECT 'order', id, val FROM t ORDER BY val DESC, id LIMIT 5;
SELECT 'distinct', count(DISTINCT substr(name, 6, 3)) FROM t;
SELECT 'window', grp, id, rank() OVER (PARTITION BY grp ORDER BY val DESC, id) AS r
  FROM t WHERE grp < 3 ORDER BY grp, r LIMIT 9;
SELECT 'concat', length(group_concat(name, ',')) FROM t WHERE grp = 5;

-- Churn: updates, deletes, a big string build, vacuum.
BEGIN;
UPDATE t SET name = name || '-' || id, blob = zeroblob(id % 500) WHERE id % 3 = 0;
DELETE FROM t WHERE id % 5 = 0;
COMMIT;
SELECT 'after', count(*), sum(length(name)), sum(length(blob)) FROM t;
CREATE TABLE s AS SELECT grp, group_concat(name, '|') AS names FROM t GROUP BY grp;
SELECT 'strs', count(*), sum(length(names)), max(length(names)) FROM s;
SELECT 'json', json_array_length(json_group_array(id)) FROM t WHERE grp = 7;
VACUUM;
PRAGMA integrity_check;
SELECT 'final', count(*), sum(id) FROM t;
EOF
}

run_db() {
	rm -f "$T/work/test.db" "$T/work/test.db-wal" "$T/work/test.db-shm"
	write_sql "$PROBE" >"$T/work/workload.sql"
	sqlite3 -batch "$T/work/test.db" <"$T/work/workload.sql"
}

run_pair sqlite3 run_db
check_probe sqlite3

finish
