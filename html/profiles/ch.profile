# tipline deployment profile: Switzerland (the default; what `make run`
# shows). The format: docs/DEPLOY.md, "The deployment profile".
# tipline-fcgi reads it at start; a bad line stops start-up with its
# number. Texts take a language suffix (org_name.fr = ...); a language
# without its own uses the plain key.
#
# Every organisation and number below was checked in the organisation's
# own published material (searched on 2026-12-01); what could not be
# checked there was left out (the phone numbers of ACT212 and FIZ, and
# the European emergency number 112, which no source at hand named).

# The <title> of every page: neutral, the site's name only, because it
# stays in the browser's history.
site_name = KSMM
org_name = Swiss coordination unit against trafficking in persons and migrant smuggling
org_name.de = Kompetenz- und Koordinationsstelle gegen Menschenhandel und Menschenschmuggel
org_name.fr = Service de compétence et de coordination contre la traite d’êtres humains et le trafic de migrants
org_name.it = Servizio di competenza e di coordinamento contro la tratta di esseri umani e il traffico di migranti
org_name.ro = Unitatea elvețiană de coordonare împotriva traficului de persoane și a traficului de migranți
org_name.hu = Svájci koordinációs egység az emberkereskedelem és az embercsempészet ellen
org_name.bg = Швейцарско координационно звено срещу трафика на хора и контрабандата на мигранти
org_name.es = Unidad suiza de coordinación contra la trata de personas y el tráfico ilícito de migrantes
org_name.pt = Unidade suíça de coordenação contra o tráfico de pessoas e o contrabando de migrantes
org_name.ru = Швейцарская координационная служба по борьбе с торговлей людьми и незаконным ввозом мигрантов
org_name.ar = وحدة التنسيق السويسرية لمكافحة الاتجار بالبشر وتهريب المهاجرين
org_name.fa = واحد هماهنگی سوئیس برای مبارزه با قاچاق انسان و قاچاق مهاجران

# "Leave this page" goes here at once (no referrer): a site that anyone
# might have open, the Swiss weather service.
leave_url = https://www.meteoswiss.admin.ch/

# The first is the default for a browser that says nothing; a browser
# that names only other languages gets English.
languages = de fr it en ro hu bg es pt ru ar fa

# Police 117 and ambulance 144: ACT212's national reporting office,
# https://www.act212.ch/meldestelle/faq ("rufen Sie die Notrufnummer 117
# der Polizei oder den Rettungsdienst 144").
emergency = police 117
emergency = ambulance 144

# Victim support (Opferhilfe / aide aux victimes): one counselling centre
# at least in every canton, chosen freely. Its own site says that it
# helps whether or not a complaint was filed, whatever country a person
# comes from and however long they stay in Switzerland:
# https://aide-aux-victimes.ch/de/was-ist-opferhilfe/fur-wen-ist-die-opferhilfe/
# Counselling is free ("Kostenlose Beratung durch eine
# Opferberatungsstelle", https://www.opferberatung-ag.ch/was-ist-opferhilfe)
# and its staff are bound to secrecy (Opferhilfegesetz; summarised at
# https://www.humanrights.ch/de/ipf/menschenrechte/familie/dossier/situation-in-der-schweiz/opferhilfegesetz/).
help = victim_support | Opferhilfe Schweiz – Aide aux victimes – Aiuto alle vittime | - | https://aide-aux-victimes.ch/
# FIZ, Zürich: counselling and a protection programme for people
# affected by trafficking (https://www.fiz-info.ch/de/FIZ-Angebot/Fachwissen,
# https://www.fiz-info.ch/de/News).
help = specialist | FIZ | - | https://www.fiz-info.ch/
# ACT212 runs the national reporting office against trafficking and
# exploitation; people affected may contact it too ("Sie können sich
# auch melden, wenn Sie selbst betroffen sind"):
# https://www.act212.ch/meldestelle/faq, https://www.act212.ch/Ueberuns/geschichte
help = reporting | ACT212 | - | https://www.act212.ch/
help_says = no_police free any_origin

retention = The secretariat copies reports to its own system; they are then deleted from this server.
retention.de = Das Sekretariat übernimmt die Meldungen in sein eigenes System; danach werden sie auf diesem Server gelöscht.
retention.fr = Le secrétariat copie les signalements dans son propre système ; ils sont ensuite effacés de ce serveur.
retention.it = La segreteria copia le segnalazioni nel proprio sistema; poi vengono cancellate da questo server.
retention.ro = Secretariatul copiază sesizările în propriul sistem; apoi ele sunt șterse de pe acest server.
retention.hu = A titkárság a bejelentéseket átmásolja a saját rendszerébe; ezután törli őket erről a szerverről.
retention.bg = Секретариатът копира сигналите в собствената си система; след това те се изтриват от този сървър.
retention.es = La secretaría copia los avisos en su propio sistema; después se borran de este servidor.
retention.pt = O secretariado copia as denúncias para o seu próprio sistema; depois são apagadas deste servidor.
retention.ru = Секретариат копирует сообщения в свою систему; после этого они удаляются с этого сервера.
retention.ar = تنسخ الأمانة البلاغات إلى نظامها الخاص، ثم تُحذف من هذا الخادم.
retention.fa = دبیرخانه گزارش‌ها را به سامانهٔ خودش منتقل می‌کند؛ سپس آن‌ها از این سرور پاک می‌شوند.
