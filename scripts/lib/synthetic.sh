# Synthetic case data for the demo: German and immigrant names, Duisburg
# addresses and coarse categories combined at random. Every person is made
# up; a fixed seed (RANDOM=…) makes a run reproducible.

KIM_FIRST_FEMALE=(Amira Fatma Olena Leyla Daria Mariam Svitlana Ana Hiba Elif Nadia Ioana)
KIM_FIRST_MALE=(Mehmet Ahmad Yusuf Tarek Kofi Ion Bogdan Samir Dawit Emre Oleksandr Karim)
KIM_SURNAMES=(Haddad Yıldız Kowalczyk Popescu Shevchenko Mensah Demir Nasser Hoxha Ivanova Tesfaye Rahimi Öztürk Petrović)
KIM_STREETS_hamborn=("Duisburger Straße" "Weseler Straße" "Jägerstraße" "Kaiser-Wilhelm-Straße" "Alleestraße")
KIM_STREETS_hochfeld=("Wanheimer Straße" "Paulusstraße" "Heerstraße" "Gitschiner Straße" "Eigenstraße")
KIM_STREETS_rheinhausen=("Friedrich-Ebert-Straße" "Atroper Straße" "Krefelder Straße" "Asterlager Straße" "Hochemmericher Markt")
KIM_POSTCODE_hamborn=47166
KIM_POSTCODE_hochfeld=47053
KIM_POSTCODE_rheinhausen=47226
KIM_LANGUAGES=("Arabisch, Deutsch A2" "Türkisch, Deutsch B1" "Ukrainisch, Russisch" "Rumänisch, Deutsch A1" "Tigrinya, Englisch" "Albanisch, Deutsch B2" "Dari, Englisch")
KIM_ORIGINS=(middle_east_north_africa europe_other eu africa_other asia)
KIM_RESIDENCE=(residence_permit temporary_protection asylum_procedure eu_freedom_of_movement toleration settlement_permit)
KIM_HANDLUNGSFELDER=(aufenthalt sgb2 sgb3 schule kita arbeit wohnen gesundheit deutsch einbuergerung)

kim_pick() { local -n list=$1; printf '%s' "${list[RANDOM % ${#list[@]}]}"; }

# Prints the field=value arguments of `kim case new` for one made-up person
# at the given site (one argument per line).
synthetic_case_fields() {
  local site=$1 sex first
  if ((RANDOM % 2)); then sex=female; first=$(kim_pick KIM_FIRST_FEMALE); else sex=male; first=$(kim_pick KIM_FIRST_MALE); fi
  local streets="KIM_STREETS_${site}" postcode="KIM_POSTCODE_${site}"
  local year=$((1960 + RANDOM % 45)) month=$((1 + RANDOM % 12)) day=$((1 + RANDOM % 28))
  printf 'name=%s %s\n' "$first" "$(kim_pick KIM_SURNAMES)"
  printf 'birth_date=%04d-%02d-%02d\n' "$year" "$month" "$day"
  printf 'address=%s %d, %s Duisburg\n' "$(kim_pick "$streets")" $((1 + RANDOM % 120)) "${!postcode}"
  printf 'phone=0203 %d\n' $((1000000 + RANDOM * 7 % 8999999))
  printf 'languages=%s\n' "$(kim_pick KIM_LANGUAGES)"
  printf 'sex=%s\n' "$sex"
  printf 'origin_region=%s\n' "$(kim_pick KIM_ORIGINS)"
  printf 'residence_category=%s\n' "$(kim_pick KIM_RESIDENCE)"
  printf 'household_band=%s\n' "$(kim_pick_band)"
  # Three different Handlungsfelder: start anywhere in the list, step by a fixed stride.
  local n=${#KIM_HANDLUNGSFELDER[@]} start=$((RANDOM % ${#KIM_HANDLUNGSFELDER[@]})) i
  for i in 0 3 6; do
    printf 'need.%s=%d\n' "${KIM_HANDLUNGSFELDER[(start + i) % n]}" $((1 + RANDOM % 3))
  done
}

kim_pick_band() { local bands=(1 2 3_4 5_plus); kim_pick bands; }

# For synthetic_case_json: a spread over the last quarters, open phases far
# more often than closed ones, and referrals and goals with made-up agencies.
KIM_QUARTERS=(2025-Q2 2025-Q3 2025-Q4 2026-Q1 2026-Q2 2026-Q3 2026-Q4)
KIM_OPEN_PHASES=(intake intake assessment assessment planning planning linking monitoring evaluation)
KIM_CLOSURE_REASONS=(goals_met goals_met referred moved_away no_contact withdrawn other)
KIM_AGE_BANDS_WITHOUT_DATE=(under_18 under_18 18_26 65_plus unknown)
KIM_REFERRAL_TYPES=(immigration_office jobcenter employment_agency youth_office social_welfare_office health_service language_course housing counselling)
KIM_REFERRAL_AGENCIES=("Ausländerbehörde Duisburg" "Jobcenter Duisburg" "Agentur für Arbeit Duisburg" "Jugendamt Duisburg"
  "Amt für Soziales und Wohnen" "Gesundheitsamt Duisburg" "VHS Duisburg, Integrationskurs" "Wohnungsgesellschaft Duisburg" "Migrationsberatung (MBE)")
KIM_REFERRAL_OUTCOMES=(pending pending successful successful partly_successful unsuccessful cancelled)
KIM_REFERRAL_BARRIERS=(none none language documents waiting_time capacity eligibility costs digital_access)
KIM_GOAL_STATUSES=(open in_progress in_progress achieved abandoned)
KIM_GOAL_VERBS=("Klären" "Unterlagen zusammenstellen" "Antrag stellen" "Termin wahrnehmen" "Nachweis erbringen")

# The pickers below write into a variable instead of printing: the demo makes
# a hundred cases, and a subshell for every value costs seconds on a busy machine.

# kim_pick_to VAR LIST: as kim_pick, into VAR.
kim_pick_to() { local -n _pick_out=$1 _pick_list=$2; _pick_out=${_pick_list[RANDOM % ${#_pick_list[@]}]}; }

# kim_json_string_to VAR TEXT: VAR becomes the JSON string literal of TEXT
# (backslash, quote and control characters escaped).
kim_json_string_to() {
  local -n _json_out=$1
  local s=$2 escaped="" i c
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  if [[ $s == *[$'\x01'-$'\x1f']* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c=${s:i:1}
      if [[ $c == [$'\x01'-$'\x1f'] ]]; then printf -v c '\\u%04x' "'$c"; fi
      escaped+=$c
    done
    s=$escaped
  fi
  _json_out="\"$s\""
}

# kim_json_object_to VAR KEY VALUE ...: VAR becomes {"KEY": "VALUE", ...}.
kim_json_object_to() {
  local -n _object_out=$1
  shift
  local body="" sep="" k v
  while (($# >= 2)); do
    kim_json_string_to k "$1"
    kim_json_string_to v "$2"
    body+="$sep$k: $v"
    sep=", "
    shift 2
  done
  _object_out="{$body}"
}

# Prints one line of `kim case import` for a made-up person at the given site:
# the same pickers as synthetic_case_fields, plus phase and quarters, 2-3
# needs, 0-2 referrals and 0-1 goal. Most people have a date of birth (kim
# derives the age band from it); the others only an age band.
synthetic_case_json() {
  local site=$1 sex first surname street language origin residence band
  if ((RANDOM % 2)); then sex=female; kim_pick_to first KIM_FIRST_FEMALE; else sex=male; kim_pick_to first KIM_FIRST_MALE; fi
  local streets="KIM_STREETS_${site}" postcode="KIM_POSTCODE_${site}"
  kim_pick_to surname KIM_SURNAMES
  local -a f=(name "$first $surname")
  if ((RANDOM % 100 < 85)); then
    local born
    printf -v born '%04d-%02d-%02d' $((1960 + RANDOM % 45)) $((1 + RANDOM % 12)) $((1 + RANDOM % 28))
    f+=(birth_date "$born")
  else
    kim_pick_to band KIM_AGE_BANDS_WITHOUT_DATE
    f+=(age_band "$band")
  fi
  kim_pick_to street "$streets"
  f+=(address "$street $((1 + RANDOM % 120)), ${!postcode} Duisburg")
  f+=(phone "0203 $((1000000 + RANDOM * 7 % 8999999))")
  kim_pick_to language KIM_LANGUAGES
  kim_pick_to origin KIM_ORIGINS
  kim_pick_to residence KIM_RESIDENCE
  local bands=(1 2 3_4 5_plus)  # as kim_pick_band
  kim_pick_to band bands
  f+=(languages "$language" sex "$sex" origin_region "$origin" residence_category "$residence" household_band "$band")
  # Opened in one of the last quarters; about one case in five closed since.
  local opened=$((RANDOM % ${#KIM_QUARTERS[@]})) phase reason
  f+=(opened_quarter "${KIM_QUARTERS[opened]}")
  if ((RANDOM % 100 < 20)); then
    kim_pick_to reason KIM_CLOSURE_REASONS
    f+=(phase closed closure_reason "$reason" closed_quarter "${KIM_QUARTERS[opened + RANDOM % (${#KIM_QUARTERS[@]} - opened)]}")
  else
    kim_pick_to phase KIM_OPEN_PHASES
    f+=(phase "$phase")
  fi
  # Two or three different Handlungsfelder, as in synthetic_case_fields.
  local n=${#KIM_HANDLUNGSFELDER[@]} start=$((RANDOM % ${#KIM_HANDLUNGSFELDER[@]})) count=$((2 + RANDOM % 2)) i
  local -a needs=()
  for ((i = 0; i < count; i++)); do
    needs+=("${KIM_HANDLUNGSFELDER[(start + 3 * i) % n]}")
    f+=("need.${needs[i]}" "$((1 + RANDOM % 3))")
  done
  local fields referrals="" goals="" sep="" r t outcome barrier status verb object
  kim_json_object_to fields "${f[@]}"
  for ((r = RANDOM % 3; r > 0; r--)); do
    t=$((RANDOM % ${#KIM_REFERRAL_TYPES[@]}))
    kim_pick_to outcome KIM_REFERRAL_OUTCOMES
    kim_pick_to barrier KIM_REFERRAL_BARRIERS
    kim_json_object_to object target_type "${KIM_REFERRAL_TYPES[t]}" agency "${KIM_REFERRAL_AGENCIES[t]}" \
      outcome "$outcome" barrier "$barrier"
    referrals+="$sep$object"
    sep=", "
  done
  if ((RANDOM % 2)); then
    kim_pick_to status KIM_GOAL_STATUSES
    kim_pick_to verb KIM_GOAL_VERBS
    kim_json_object_to goals field "${needs[0]}" status "$status" text "$verb im Handlungsfeld ${needs[0]}"
  fi
  printf '{"fields": %s, "referrals": [%s], "goals": [%s]}\n' "$fields" "$referrals" "$goals"
}
