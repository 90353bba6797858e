"""Crafted negation cases for the finding support check (bench/negation_audit.py): each is
(finding name, assertion, quote, whether the quote states the finding with that assertion).

Written by a helper from clinical reading, verdicts fixed before any run (5 December 2026,
eighth session); fictional sentences, no corpus text.  The eighth session mended the check
after seeing them, so the check's figures here are optimistic; NegEx's are not."""

# ruff: noqa: E501

ROS1 = "He denied fever, chills, night sweats and weight loss."
ROS2 = "Review of systems was negative for headache, visual disturbance, chest pain, palpitations, and night sweats."
SW1 = "No fever or chills, but productive cough and dyspnoea on exertion."
SW2 = "She presented without fever; a maculopapular rash was noted on the trunk."
SER = "HIV, HBV and HCV serologies were negative."
CXR = "Chest CT showed no pleural effusion, consolidation or pneumothorax."
LN = "There was no change in the size of the mediastinal lymphadenopathy."
NOTONLY = "Not only hepatomegaly but also splenomegaly was found on ultrasound."
STER = "There was no response to steroids and proteinuria persisted."
FAM1 = "Her mother had diabetes; the patient had no history of diabetes."
TEMP1 = "She had no fever until day 3, when she became febrile to 39.2 °C."
TEMP2 = "There was no fever on admission, but on day 2 she developed a fever of 38.9 °C."
CVS = "Bilateral lower-limb edema was present; there was no jugular venous distension."
MUR = "Cardiac auscultation revealed a grade 2/6 systolic murmur without gallops or rubs."
UA = "Urinalysis was negative for proteinuria and glycosuria but showed microscopic hematuria."
HA = "She reported headache with photophobia but no neck stiffness."
SWAL = "She denied odynophagia, but reported progressive dysphagia to solids."
LONG = (
    "There was no fever, chills, rigors, sweats, fatigue, malaise, anorexia, nausea, vomiting, "
    "diarrhoea, constipation, abdominal pain or melaena."
)
ENDO = "He denied fevers; he endorsed fatigue and arthralgia."
CMV = "Serologies for cytomegalovirus (CMV) and Epstein-Barr virus (EBV) were negative."
HX = "He had a history of hypertension but no diabetes or dyslipidaemia."
AB = "Anti-dsDNA antibodies were negative, whereas ANA was positive at 1:640."
WBC = "Laboratory tests revealed leukocytosis (WBC 18 × 10^9/L) with no eosinophilia."
EGD = "Endoscopy revealed multiple gastric ulcers but no active bleeding."
AUSC = "Auscultation revealed diffuse wheezing; crackles were not heard."
PAL = "She complained of palpitations. She did not experience syncope."
MEN = "Kernig's and Brudzinski's signs were negative."
SMK = "He drank alcohol occasionally and did not smoke."
ECHO = "Echocardiography showed a moderate pericardial effusion without tamponade physiology."
HBS = "HBsAg was positive; anti-HCV and HIV antibodies were negative."
GERD = "There was no history of gastro-oesophageal reflux disease (GERD)."
ARDS = "He developed acute respiratory distress syndrome (ARDS) and no other organ failure."
NEU = "The headache did not improve and no focal deficits were found."
NYS = "Neither nystagmus nor ataxia was observed."
MYA = "She complained of myalgia; no fever, chills, or arthralgia."
NOD = "CT showed bilateral pulmonary nodules; no cavitation was seen."
NBM = "She was kept nil by mouth because of persistent vomiting."
CUL = "Blood cultures grew no organisms; urine culture grew Escherichia coli."
MOTHER = "The mother denied any trauma, but skeletal survey revealed rib fractures."
VASC = "Vasculitis could not be ruled out; however, no skin lesions were found."
HIVP = "He was HIV-positive on antiretroviral therapy with no opportunistic infections."
LES = "No new lesions were seen, but the known lesion in segment VI had grown."
HEM = "Hemoptysis, which had not been present before, began on day 5."
CP = "The chest pain was not relieved by sublingual nitroglycerin."
HL = "No cause for the sensorineural hearing loss was identified."
SYN = "He could not recall the events preceding the syncope."
EXT = "He was extubated without difficulty but developed stridor two hours later."
PET = "Examination was unremarkable except for scattered petechiae on the lower limbs."

CASES = [
    # ---------------- absent ----------------
    ("fever", "absent", ROS1, True),
    ("weight loss", "absent", ROS1, True),
    ("night sweats", "absent", ROS2, True),
    ("palpitations", "absent", ROS2, True),
    ("chills", "absent", SW1, True),
    ("cough", "absent", SW1, False),
    ("dyspnoea", "absent", SW1, False),
    ("fever", "absent", SW2, True),
    ("rash", "absent", SW2, False),
    ("HBV", "absent", SER, True),
    ("HCV", "absent", SER, True),
    ("pleural effusion", "absent", CXR, True),
    ("pneumothorax", "absent", CXR, True),
    ("consolidation", "absent", CXR, True),
    ("lymphadenopathy", "absent", LN, False),
    (
        "pulmonary embolism",
        "absent",
        "Pulmonary embolism could not be excluded on the initial scan.",
        False,
    ),
    ("malignancy", "absent", "Malignancy cannot be ruled out.", False),
    (
        "abdominal pain",
        "absent",
        "There was no improvement in her abdominal pain despite analgesia.",
        False,
    ),
    ("hepatomegaly", "absent", NOTONLY, False),
    ("splenomegaly", "absent", NOTONLY, False),
    ("proteinuria", "absent", STER, False),
    ("rash", "absent", "No treatment was given for the rash.", False),
    ("diabetes", "absent", FAM1, True),
    ("breast cancer", "absent", "There was no family history of breast cancer.", False),
    ("tuberculosis", "absent", "Her brother had tuberculosis.", False),
    ("fever", "absent", TEMP1, False),
    ("fever", "absent", TEMP2, False),
    ("seizures", "absent", "No seizures were observed during the 48-hour EEG monitoring.", True),
    (
        "deep vein thrombosis",
        "absent",
        "Doppler ultrasound showed no deep vein thrombosis (DVT).",
        True,
    ),
    ("DVT", "absent", "Doppler ultrasound showed no deep vein thrombosis (DVT).", True),
    ("nausea", "absent", "Nausea and vomiting were denied.", True),
    ("vomiting", "absent", "Nausea and vomiting were denied.", True),
    ("headache", "absent", "Headache: none.", True),
    ("chest pain", "absent", "He was chest pain-free at rest.", True),
    ("seizures", "absent", "She remained seizure-free for 6 months.", True),
    ("ascites", "absent", "Ascites: nil.", True),
    ("edema", "absent", CVS, False),
    ("jugular venous distension", "absent", CVS, True),
    ("murmur", "absent", MUR, False),
    ("gallops", "absent", MUR, True),
    ("rubs", "absent", MUR, True),
    ("proteinuria", "absent", UA, True),
    ("glycosuria", "absent", UA, True),
    ("hematuria", "absent", UA, False),
    ("photophobia", "absent", HA, False),
    ("headache", "absent", HA, False),
    ("neck stiffness", "absent", HA, True),
    ("weight loss", "absent", "He did not report any weight loss or anorexia.", True),
    ("anorexia", "absent", "He did not report any weight loss or anorexia.", True),
    ("EBV", "absent", CMV, True),
    ("cytomegalovirus", "absent", CMV, True),
    ("fractures", "absent", "Skeletal survey revealed no fractures.", True),
    ("fracture", "absent", "X-ray showed a non-displaced fracture of the distal radius.", False),
    ("mass", "absent", "MRI revealed a non-enhancing mass in the left frontal lobe.", False),
    ("lesion", "absent", LES, False),
    ("fever", "absent", "Fever was not present at admission.", True),
    ("cough", "absent", "The patient was afebrile and did not have a cough.", True),
    ("pruritus", "absent", "The rash was non-pruritic.", True),
    ("dysphagia", "absent", SWAL, False),
    ("odynophagia", "absent", SWAL, True),
    ("metastases", "absent", "PET-CT did not show distant metastases.", True),
    ("metastasis", "absent", "Metastasis could not be excluded.", False),
    ("thrombosis", "absent", "The possibility of thrombosis was not considered initially.", False),
    ("hypotension", "absent", "Hypotension did not respond to fluids.", False),
    ("lymphadenopathy", "absent", "Lymph nodes: no palpable lymphadenopathy.", True),
    ("tenderness", "absent", "The abdomen was soft and non-tender.", True),
    ("anemia", "absent", "Anemia was ruled out.", True),
    ("anemia", "absent", "Anemia was not ruled out.", False),
    ("vasculitis", "absent", VASC, False),
    ("skin lesions", "absent", VASC, True),
    ("HIV", "absent", "He was HIV-negative.", True),
    ("opportunistic infections", "absent", HIVP, True),
    ("HIV", "absent", HIVP, False),
    ("fever", "absent", LONG, True),
    ("melaena", "absent", LONG, True),
    ("diarrhoea", "absent", LONG, True),
    ("fevers", "absent", ENDO, True),
    ("fatigue", "absent", ENDO, False),
    ("arthralgia", "absent", ENDO, False),
    ("diabetes", "absent", HX, True),
    ("hypertension", "absent", HX, False),
    ("ANA", "absent", AB, False),
    ("anti-dsDNA antibodies", "absent", AB, True),
    ("eosinophilia", "absent", WBC, True),
    ("hearing loss", "absent", HL, False),
    ("active bleeding", "absent", EGD, True),
    ("ulcers", "absent", EGD, False),
    ("syncope", "absent", SYN, False),
    ("crackles", "absent", AUSC, True),
    ("wheezing", "absent", AUSC, False),
    ("petechiae", "absent", PET, False),
    ("organomegaly", "absent", "No organomegaly.", True),
    ("Kernig's sign", "absent", MEN, True),
    ("smoking", "absent", "He was a non-smoker.", True),
    ("hemoptysis", "absent", HEM, False),
    ("tamponade", "absent", ECHO, True),
    ("HBsAg", "absent", HBS, False),
    ("GERD", "absent", GERD, True),
    ("ARDS", "absent", ARDS, False),
    ("focal deficits", "absent", NEU, True),
    ("headache", "absent", NEU, False),
    ("nystagmus", "absent", NYS, True),
    ("ataxia", "absent", NYS, True),
    ("cavitation", "absent", NOD, True),
    ("nodules", "absent", NOD, False),
    ("chest pain", "absent", CP, False),
    ("vomiting", "absent", NBM, False),
    ("rib fractures", "absent", MOTHER, False),
    ("stridor", "absent", EXT, False),
    # ---------------- present ----------------
    ("fever", "present", "She had fever without rash or lymphadenopathy.", True),
    ("rash", "present", "She had fever without rash or lymphadenopathy.", False),
    ("lymphadenopathy", "present", "She had fever without rash or lymphadenopathy.", False),
    ("cough", "present", SW1, True),
    ("dyspnoea", "present", SW1, True),
    ("fever", "present", SW1, False),
    ("chills", "present", SW1, False),
    ("rash", "present", SW2, True),
    ("fever", "present", SW2, False),
    ("HCV", "present", SER, False),
    ("HIV", "present", SER, False),
    ("pneumothorax", "present", CXR, False),
    ("consolidation", "present", CXR, False),
    ("lymphadenopathy", "present", LN, True),
    (
        "abdominal pain",
        "present",
        "There was no improvement in her abdominal pain despite analgesia.",
        True,
    ),
    ("splenomegaly", "present", NOTONLY, True),
    ("hepatomegaly", "present", NOTONLY, True),
    ("proteinuria", "present", STER, True),
    (
        "nephrotic syndrome",
        "present",
        "The nephrotic syndrome was not responsive to steroids.",
        True,
    ),
    ("rash", "present", "No treatment was given for the rash.", True),
    (
        "tuberculosis",
        "present",
        "Her brother had tuberculosis, but the patient had no evidence of tuberculosis.",
        False,
    ),
    ("fever", "present", TEMP1, True),
    ("fever", "present", TEMP2, True),
    ("chest pain", "present", "He was chest pain-free at rest.", False),
    ("ascites", "present", "Ascites: nil.", False),
    ("headache", "present", "Headache: none.", False),
    ("edema", "present", CVS, True),
    ("jugular venous distension", "present", CVS, False),
    ("murmur", "present", MUR, True),
    ("rubs", "present", MUR, False),
    ("gallops", "present", MUR, False),
    ("hematuria", "present", UA, True),
    ("glycosuria", "present", UA, False),
    ("proteinuria", "present", UA, False),
    ("photophobia", "present", HA, True),
    ("headache", "present", HA, True),
    ("neck stiffness", "present", HA, False),
    ("dysphagia", "present", SWAL, True),
    ("odynophagia", "present", SWAL, False),
    ("fracture", "present", "X-ray showed a non-displaced fracture of the distal radius.", True),
    ("mass", "present", "MRI revealed a non-enhancing mass in the left frontal lobe.", True),
    ("lesion", "present", LES, True),
    ("hypotension", "present", "Hypotension did not respond to fluids.", True),
    ("fatigue", "present", ENDO, True),
    ("arthralgia", "present", ENDO, True),
    ("fevers", "present", ENDO, False),
    ("melaena", "present", LONG, False),
    ("abdominal pain", "present", LONG, False),
    ("night sweats", "present", ROS2, False),
    ("chest pain", "present", ROS2, False),
    ("weight loss", "present", ROS1, False),
    ("chills", "present", ROS1, False),
    ("cough", "present", "The patient was afebrile and did not have a cough.", False),
    ("metastases", "present", "PET-CT did not show distant metastases.", False),
    ("fever", "present", "Fever was not present at admission.", False),
    ("anemia", "present", "Anemia was ruled out.", False),
    ("nausea", "present", "Nausea and vomiting were denied.", False),
    ("vomiting", "present", "Nausea and vomiting were denied.", False),
    (
        "pleural effusion",
        "present",
        "A small left pleural effusion was seen; there was no consolidation or pneumothorax.",
        True,
    ),
    (
        "consolidation",
        "present",
        "A small left pleural effusion was seen; there was no consolidation or pneumothorax.",
        False,
    ),
    ("diabetes", "present", FAM1, False),
    ("hypertension", "present", HX, True),
    ("dyslipidaemia", "present", HX, False),
    ("diabetes", "present", HX, False),
    ("diarrhea", "present", "Her diarrhea did not improve with loperamide.", True),
    ("chest pain", "present", CP, True),
    ("anti-dsDNA antibodies", "present", AB, False),
    ("ANA", "present", AB, True),
    ("leukocytosis", "present", WBC, True),
    ("eosinophilia", "present", WBC, False),
    ("hearing loss", "present", HL, True),
    ("ulcers", "present", EGD, True),
    ("active bleeding", "present", EGD, False),
    ("syncope", "present", SYN, True),
    ("wheezing", "present", AUSC, True),
    ("crackles", "present", AUSC, False),
    ("petechiae", "present", PET, True),
    ("fevers", "present", "Negative for fevers.", False),
    ("palpitations", "present", PAL, True),
    ("syncope", "present", PAL, False),
    ("Brudzinski's sign", "present", MEN, False),
    ("smoking", "present", "He was a non-smoker.", False),
    ("alcohol use", "present", SMK, True),
    ("smoking", "present", SMK, False),
    ("hemoptysis", "present", HEM, True),
    ("pericardial effusion", "present", ECHO, True),
    ("tamponade", "present", ECHO, False),
    ("HBsAg", "present", HBS, True),
    ("anti-HCV", "present", HBS, False),
    ("gastro-oesophageal reflux disease", "present", GERD, False),
    ("GERD", "present", GERD, False),
    ("ARDS", "present", ARDS, True),
    ("acute respiratory distress syndrome", "present", ARDS, True),
    (
        "acute kidney injury",
        "present",
        "Renal function remained normal, and there was no acute kidney injury.",
        False,
    ),
    ("rigors", "present", "He had high fevers with rigors.", True),
    ("headache", "present", NEU, True),
    ("focal deficits", "present", NEU, False),
    ("ataxia", "present", NYS, False),
    ("nystagmus", "present", NYS, False),
    ("vomiting", "present", "Neither the nausea nor the vomiting responded to ondansetron.", True),
    ("myalgia", "present", MYA, True),
    ("arthralgia", "present", MYA, False),
    ("chills", "present", MYA, False),
    ("fever", "present", "The patient has been afebrile; no fevers since admission.", False),
    ("nodules", "present", NOD, True),
    ("cavitation", "present", NOD, False),
    ("vomiting", "present", NBM, True),
    ("Escherichia coli", "present", CUL, True),
    ("rib fractures", "present", MOTHER, True),
    ("stridor", "present", EXT, True),
    ("HIV", "present", "He was HIV-negative.", False),
    ("HIV", "present", HIVP, True),
    ("opportunistic infections", "present", HIVP, False),
    ("DVT", "present", "Doppler ultrasound showed no deep vein thrombosis (DVT).", False),
    ("tenderness", "present", "The abdomen was soft and non-tender.", False),
    ("pruritus", "present", "The rash was non-pruritic.", False),
    ("seizures", "present", "No seizures were observed during the 48-hour EEG monitoring.", False),
]
