# A FICTIONAL deployment profile, to show and test the mechanism: the
# country, the organisation, the numbers and the addresses below do not
# exist (.invalid addresses, numbers from no real plan). Copy ch.profile
# or this file to start your own; the format is in docs/DEPLOY.md.
site_name = Ruritania Tipline (example)
org_name = Ruritanian Anti-Trafficking Office (a fictional example)
org_name.fr = Bureau ruritanien contre la traite (un exemple fictif)
leave_url = https://weather.example.invalid/
languages = en fr ar
emergency = general 999 000
emergency = police +99 555 0100
help = victim_support | Ruritania Victim Help (fictional) | +99 555 0199 | https://help.example.invalid/
help = specialist | Safe Harbour Ruritania (fictional) | - | -
help_says = no_police free
retention = Example wording: reports are kept for 90 days on this server.
