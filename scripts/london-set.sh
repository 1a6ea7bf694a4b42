#!/usr/bin/env bash
# Lays out the Face Research Lab London Set (DeBruine & Jones 2017, CC-BY 4.0) as a labelled set
# for `sapa-eval validate`, from a git snapshot of debruine/webmorphR.stim (inst/neutral_front and
# inst/smiling_front), leaving out every identity that ../shared/fixtures already holds; and the
# same lab's Canada set beside it (OUT_DIR/canada).
#   scripts/london-set.sh GIT_DIR OUT_DIR
# OUT_DIR must be outside the repository: these are photographs of people, never committed.
set -euo pipefail
git_dir="$1"; out="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SAPA_SHARED:-$root/../shared}"
mkdir -p "$out"
taken="$(cat "$shared"/fixtures/*/labels.csv | grep -o 'london_[0-9]*' | sort -u)"
echo "file,identity,source_repo,source_path,license,single_face,frontal,icao_like,defects,notes" > "$out/labels.csv"
git --git-dir="$git_dir" ls-tree -r HEAD --name-only | grep -E '^inst/(neutral|smiling)_front/[0-9]+_0[38]\.jpg$' |
while read -r path; do
  id="london_$(basename "$path" | cut -c1-3)"
  grep -qx "$id" <<<"$taken" && continue
  kind="$(basename "$(dirname "$path")")"
  file="${kind%_front}_$(basename "$path")"
  git --git-dir="$git_dir" show "HEAD:$path" > "$out/$file"
  if [ "$kind" = neutral_front ]; then labels="yes,"; else labels="no,non_neutral_expression"; fi
  echo "$file,$id,debruine/webmorphR.stim,$path,CC-BY-4.0,yes,yes,$labels," >> "$out/labels.csv"
done
# The smiling partners of subjects the shared sets hold only as a neutral photo: genuine pairs for
# `sapa-eval verify-sets` (OUT_DIR/partners/labels.csv), never an image the shared sets already hold.
mkdir -p "$out/partners"
echo "file,identity,source_repo,source_path,license,single_face,frontal,icao_like,defects,notes" > "$out/partners/labels.csv"
held="$(cat "$shared"/fixtures/*/labels.csv | grep -o 'inst/[a-z_]*/[0-9]*_0[38]\.jpg' | sort -u)"
git --git-dir="$git_dir" ls-tree -r HEAD --name-only | grep -E '^inst/smiling_front/[0-9]+_08\.jpg$' |
while read -r path; do
  id="london_$(basename "$path" | cut -c1-3)"
  grep -qx "$id" <<<"$taken" || continue
  grep -qx "$path" <<<"$held" && continue
  file="smiling_$(basename "$path")"
  git --git-dir="$git_dir" show "HEAD:$path" > "$out/partners/$file"
  echo "$file,$id,debruine/webmorphR.stim,$path,CC-BY-4.0,yes,yes,no,non_neutral_expression," >> "$out/partners/labels.csv"
done

# The Canada set (DeBruine & Jones 2017, "Young Adult White Faces", CC-BY 4.0; 40 neutral
# frontal photos aligned on the pupils) as OUT_DIR/canada/labels.csv, without the two subjects the
# shared sets hold. Labelled by looking at the photos before any run, by the shared sets' rule for
# this set (neutral, frontal, plain background: ICAO-like), except:
#   010f, 020f: the hair reaches the frame's top edge (head_cropped);
#   117m: a black alignment wedge in a bottom corner (left out of the ICAO-like photos).
mkdir -p "$out/canada"
echo "file,identity,source_repo,source_path,license,single_face,frontal,icao_like,defects,notes" > "$out/canada/labels.csv"
git --git-dir="$git_dir" ls-tree -r HEAD --name-only | grep -E '^inst/canada/[0-9]+[fm]\.jpg$' |
while read -r path; do
  stem="$(basename "$path" .jpg)"
  id="canada_$stem"
  grep -q "$id" "$shared"/fixtures/*/labels.csv && continue
  case "$stem" in
    010f|020f) labels="no,head_cropped,hair cut by the frame's top edge" ;;
    117m) labels="no,,black alignment wedge in a bottom corner" ;;
    *) labels="yes,," ;;
  esac
  git --git-dir="$git_dir" show "HEAD:$path" > "$out/canada/$id.jpg"
  echo "$id.jpg,$id,debruine/webmorphR.stim,$path,CC-BY-4.0,yes,yes,$labels" >> "$out/canada/labels.csv"
done

# Self-reported sex and ethnicity of every London and Canada subject (including those the shared
# sets hold), for results per group: identity,sex,ethnicity.
{
  echo "identity,sex,ethnicity"
  git --git-dir="$git_dir" show HEAD:data-raw/london_info.csv | tail -n +2 | tr -d '\r' |
    awk -F, '{ printf "london_%s,%s,%s\n", $1, $3, $4 }'
  git --git-dir="$git_dir" show HEAD:data-raw/canada_info.csv | tail -n +2 | tr -d '\r' |
    awk -F, '{ printf "canada_%s,%s,\n", $1, $3 }'
} > "$out/groups.csv"
echo "$(( $(wc -l < "$out/labels.csv") - 1 )) photos in $out, $(( $(wc -l < "$out/partners/labels.csv") - 1 )) in $out/partners, $(( $(wc -l < "$out/canada/labels.csv") - 1 )) in $out/canada; groups in $out/groups.csv" >&2
