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
