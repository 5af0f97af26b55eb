"""Curated content of ``cardiometabolic.owl`` (the ``neurosym`` system).

Each term is a dict: ``name`` (IRI fragment), ``label``, ``parents``
(neurosym names), ``definition`` (with thresholds), ``cite`` (key of
``CITATIONS``) and optional mappings to other systems:

- ``equiv``: CURIEs declared ``owl:equivalentClass`` (same meaning);
- ``narrower``: CURIEs declared ``rdfs:subClassOf`` this term (the external
  code is more specific than, or a subset of, the term);
- ``loinc`` / ``unit``: LOINC codes (each a subclass of the term) and the
  canonical UCUM unit, for measurement concepts.

``DISJOINT`` lists groups of mutually exclusive terms (KDIGO G and A
categories, ACC/AHA BP categories, WHO BMI classes, diabetes types).

``build.py`` turns this module into OWL; edit here and rebuild.
"""

CITATIONS = {
    "ada2025s2": (
        "American Diabetes Association Professional Practice Committee. "
        "2. Diagnosis and Classification of Diabetes: Standards of Care in Diabetes-2025. "
        "Diabetes Care 2025;48(Suppl 1). Section 2 (diagnostic criteria for diabetes and prediabetes)."
    ),
    "ada2025s10": (
        "American Diabetes Association Professional Practice Committee. "
        "10. Cardiovascular Disease and Risk Management: Standards of Care in Diabetes-2025. "
        "Diabetes Care 2025;48(Suppl 1). Section 10 (ASCVD: coronary heart disease, "
        "cerebrovascular disease or peripheral arterial disease presumed to be of atherosclerotic origin)."
    ),
    "kdigo2024": (
        "KDIGO 2024 Clinical Practice Guideline for the Evaluation and Management of Chronic Kidney "
        "Disease. Kidney Int 2024;105(4S):S117-S314. Chapter 1 (definition of CKD; GFR categories "
        "G1-G5 and albuminuria categories A1-A3)."
    ),
    "accaha2017": (
        "Whelton PK et al. 2017 ACC/AHA/AAPA/ABC/ACPM/AGS/APhA/ASH/ASPC/NMA/PCNA Guideline for the "
        "Prevention, Detection, Evaluation, and Management of High Blood Pressure in Adults. "
        "Hypertension 2018;71:e13-e115. Section 3.2 (categories of BP in adults, Table 6)."
    ),
    "who_bmi": (
        "World Health Organization. Obesity: preventing and managing the global epidemic. "
        "WHO Technical Report Series 894, 2000. Table 2.1 (classification of adults according to BMI)."
    ),
    "metsyn": (
        "NCEP Expert Panel. Third Report of the National Cholesterol Education Program Adult Treatment "
        "Panel III (ATP III). JAMA 2001;285:2486-2497; as revised by Grundy SM et al., AHA/NHLBI "
        "Scientific Statement, Circulation 2005;112:2735-2752, Table 2."
    ),
    "who_pa2020": (
        "World Health Organization. WHO guidelines on physical activity and sedentary behaviour. "
        "Geneva: WHO, 2020. Recommendations for adults aged 18-64 years."
    ),
    "aasm2015": (
        "Watson NF et al. Recommended Amount of Sleep for a Healthy Adult: a Joint Consensus Statement "
        "of the American Academy of Sleep Medicine and Sleep Research Society. Sleep 2015;38(6):843-844."
    ),
    "troiano2008": (
        "Troiano RP et al. Physical activity in the United States measured by accelerometer. "
        "Med Sci Sports Exerc 2008;40(1):181-188 (a valid day has at least 10 hours of wear time)."
    ),
    "loinc": "LOINC (Regenstrief Institute), https://loinc.org; code and UCUM unit as listed.",
}


def _icd(*codes: str) -> list[str]:
    return [f"icd10cm:{c}" for c in codes]


def _sct(*codes: str) -> list[str]:
    return [f"snomed:{c}" for c in codes]


TERMS: list[dict] = [
    # ---------------------------------------------------------------- roots
    {"name": "CardiometabolicCondition", "label": "cardiometabolic condition", "parents": [],
     "definition": "A disorder or risk state of glucose metabolism, blood pressure, kidney function, "
                   "body weight or atherosclerotic vascular disease.", "cite": "ada2025s10"},
    {"name": "Measurement", "label": "measurement", "parents": [],
     "definition": "A quantitative observation about a person, with a canonical UCUM unit.",
     "cite": "loinc"},
    # ---------------------------------------------------------------- diabetes
    {"name": "DiabetesMellitus", "label": "diabetes mellitus", "parents": ["CardiometabolicCondition"],
     "definition": "Diabetes: HbA1c >= 6.5%, or fasting plasma glucose >= 126 mg/dL, or 2-h plasma "
                   "glucose >= 200 mg/dL during a 75-g OGTT, or random plasma glucose >= 200 mg/dL with "
                   "classic symptoms; without unequivocal hyperglycaemia, two abnormal results are needed.",
     "cite": "ada2025s2", "equiv": _sct("73211009"), "narrower": _icd("E08-E13")},
    {"name": "Type1Diabetes", "label": "type 1 diabetes", "parents": ["DiabetesMellitus"],
     "definition": "Diabetes due to autoimmune beta-cell destruction, usually leading to absolute "
                   "insulin deficiency.", "cite": "ada2025s2",
     "equiv": _icd("E10") + _sct("46635009")},
    {"name": "Type2Diabetes", "label": "type 2 diabetes", "parents": ["DiabetesMellitus"],
     "definition": "Diabetes due to a non-autoimmune progressive loss of adequate beta-cell insulin "
                   "secretion, frequently on the background of insulin resistance.", "cite": "ada2025s2",
     "equiv": _icd("E11") + _sct("44054006")},
    {"name": "OtherSpecificDiabetes", "label": "other specific or secondary diabetes",
     "parents": ["DiabetesMellitus"],
     "definition": "Diabetes due to other causes: monogenic syndromes, diseases of the exocrine "
                   "pancreas, drug- or chemical-induced diabetes, or other specified diabetes.",
     "cite": "ada2025s2", "equiv": _sct("8801005"), "narrower": _icd("E08", "E09", "E13")},
    {"name": "GestationalDiabetes", "label": "gestational diabetes mellitus",
     "parents": ["DiabetesMellitus"],
     "definition": "Diabetes diagnosed in the second or third trimester of pregnancy that was not "
                   "clearly overt diabetes before gestation.", "cite": "ada2025s2",
     "equiv": _icd("O24.4") + _sct("11687002")},
    {"name": "Prediabetes", "label": "prediabetes", "parents": ["CardiometabolicCondition"],
     "definition": "Glucose levels that do not meet the criteria for diabetes but are too high to be "
                   "normal: impaired fasting glucose, impaired glucose tolerance, or HbA1c 5.7-6.4%.",
     "cite": "ada2025s2", "equiv": _sct("15777000"), "narrower": _icd("R73.03")},
    {"name": "ImpairedFastingGlucose", "label": "impaired fasting glucose", "parents": ["Prediabetes"],
     "definition": "Fasting plasma glucose 100-125 mg/dL (5.6-6.9 mmol/L).", "cite": "ada2025s2",
     "equiv": _icd("R73.01") + _sct("390951007")},
    {"name": "ImpairedGlucoseTolerance", "label": "impaired glucose tolerance", "parents": ["Prediabetes"],
     "definition": "2-h plasma glucose during a 75-g OGTT of 140-199 mg/dL (7.8-11.0 mmol/L).",
     "cite": "ada2025s2", "equiv": _icd("R73.02") + _sct("9414007")},
    {"name": "HbA1cDefinedPrediabetes", "label": "prediabetes defined by HbA1c", "parents": ["Prediabetes"],
     "definition": "HbA1c 5.7-6.4% (39-47 mmol/mol).", "cite": "ada2025s2"},
    # ---------------------------------------------------------------- kidney
    {"name": "KidneyDisease", "label": "kidney disease", "parents": ["CardiometabolicCondition"],
     "definition": "Abnormality of kidney structure or function.", "cite": "kdigo2024"},
    {"name": "ChronicKidneyDisease", "label": "chronic kidney disease", "parents": ["KidneyDisease"],
     "definition": "Abnormalities of kidney structure or function present for more than 3 months: "
                   "GFR < 60 mL/min/1.73 m2 or a marker of kidney damage such as albuminuria "
                   "(ACR >= 30 mg/g).", "cite": "kdigo2024",
     "equiv": _icd("N18") + _sct("709044004")},
    {"name": "CKDStageG1", "label": "CKD G1 (normal or high GFR)", "parents": ["ChronicKidneyDisease"],
     "definition": "CKD with GFR >= 90 mL/min/1.73 m2.", "cite": "kdigo2024",
     "equiv": _icd("N18.1") + _sct("431855005")},
    {"name": "CKDStageG2", "label": "CKD G2 (mildly decreased GFR)", "parents": ["ChronicKidneyDisease"],
     "definition": "CKD with GFR 60-89 mL/min/1.73 m2.", "cite": "kdigo2024",
     "equiv": _icd("N18.2") + _sct("431856006")},
    {"name": "CKDStageG3", "label": "CKD G3 (GFR 30-59)", "parents": ["ChronicKidneyDisease"],
     "definition": "CKD with GFR 30-59 mL/min/1.73 m2 (G3a or G3b).", "cite": "kdigo2024",
     "equiv": _icd("N18.3") + _sct("433144002")},
    {"name": "CKDStageG3a", "label": "CKD G3a (mildly to moderately decreased GFR)",
     "parents": ["CKDStageG3"], "definition": "CKD with GFR 45-59 mL/min/1.73 m2.", "cite": "kdigo2024",
     "equiv": _icd("N18.31") + _sct("700378005")},
    {"name": "CKDStageG3b", "label": "CKD G3b (moderately to severely decreased GFR)",
     "parents": ["CKDStageG3"], "definition": "CKD with GFR 30-44 mL/min/1.73 m2.", "cite": "kdigo2024",
     "equiv": _icd("N18.32") + _sct("700379002")},
    {"name": "CKDStageG4", "label": "CKD G4 (severely decreased GFR)", "parents": ["ChronicKidneyDisease"],
     "definition": "CKD with GFR 15-29 mL/min/1.73 m2.", "cite": "kdigo2024",
     "equiv": _icd("N18.4") + _sct("431857002")},
    {"name": "CKDStageG5", "label": "CKD G5 (kidney failure)", "parents": ["ChronicKidneyDisease"],
     "definition": "CKD with GFR < 15 mL/min/1.73 m2, or treatment by dialysis.", "cite": "kdigo2024",
     "equiv": _icd("N18.5") + _sct("433146000"), "narrower": _icd("N18.6") + _sct("46177005")},
    {"name": "AlbuminuriaCategory", "label": "albuminuria category", "parents": [],
     "definition": "KDIGO category of albuminuria by urine albumin-to-creatinine ratio (ACR).",
     "cite": "kdigo2024"},
    {"name": "AlbuminuriaA1", "label": "albuminuria A1 (normal to mildly increased)",
     "parents": ["AlbuminuriaCategory"], "definition": "ACR < 30 mg/g (< 3 mg/mmol).", "cite": "kdigo2024"},
    {"name": "AlbuminuriaA2", "label": "albuminuria A2 (moderately increased)",
     "parents": ["AlbuminuriaCategory"], "definition": "ACR 30-300 mg/g (3-30 mg/mmol).",
     "cite": "kdigo2024"},
    {"name": "AlbuminuriaA3", "label": "albuminuria A3 (severely increased)",
     "parents": ["AlbuminuriaCategory"], "definition": "ACR > 300 mg/g (> 30 mg/mmol).",
     "cite": "kdigo2024"},
    {"name": "DiabeticKidneyDisease", "label": "diabetic kidney disease",
     "parents": ["KidneyDisease", "DiabetesMellitus"],
     "definition": "Kidney disease attributed to diabetes: persistent albuminuria (ACR >= 30 mg/g) "
                   "and/or eGFR < 60 mL/min/1.73 m2 in a person with diabetes.", "cite": "kdigo2024",
     "equiv": _sct("127013003"),
     "narrower": _icd("E08.2", "E09.2", "E10.2", "E11.2", "E13.2")},
    # ---------------------------------------------------------------- blood pressure
    {"name": "BloodPressureCategory", "label": "blood pressure category", "parents": [],
     "definition": "ACC/AHA 2017 category of office blood pressure, based on an average of >= 2 "
                   "readings on >= 2 occasions; when SBP and DBP fall in different categories the "
                   "higher category applies.", "cite": "accaha2017"},
    {"name": "NormalBloodPressure", "label": "normal blood pressure", "parents": ["BloodPressureCategory"],
     "definition": "SBP < 120 mm Hg and DBP < 80 mm Hg.", "cite": "accaha2017"},
    {"name": "ElevatedBloodPressure", "label": "elevated blood pressure",
     "parents": ["BloodPressureCategory"], "definition": "SBP 120-129 mm Hg and DBP < 80 mm Hg.",
     "cite": "accaha2017"},
    {"name": "Hypertension", "label": "hypertension", "parents": ["CardiometabolicCondition"],
     "definition": "SBP >= 130 mm Hg or DBP >= 80 mm Hg (stage 1 or 2).", "cite": "accaha2017",
     "equiv": _sct("38341003"), "narrower": _icd("I10-I16")},
    {"name": "EssentialHypertension", "label": "essential (primary) hypertension",
     "parents": ["Hypertension"], "definition": "Hypertension without an identifiable secondary cause.",
     "cite": "accaha2017", "equiv": _icd("I10") + _sct("59621000")},
    {"name": "HypertensionStage1", "label": "stage 1 hypertension",
     "parents": ["Hypertension", "BloodPressureCategory"],
     "definition": "SBP 130-139 mm Hg or DBP 80-89 mm Hg.", "cite": "accaha2017"},
    {"name": "HypertensionStage2", "label": "stage 2 hypertension",
     "parents": ["Hypertension", "BloodPressureCategory"],
     "definition": "SBP >= 140 mm Hg or DBP >= 90 mm Hg.", "cite": "accaha2017"},
    # ---------------------------------------------------------------- body weight
    {"name": "BMICategory", "label": "BMI category (adults)", "parents": [],
     "definition": "WHO classification of adults by body mass index (kg/m2).", "cite": "who_bmi"},
    {"name": "Underweight", "label": "underweight", "parents": ["BMICategory"],
     "definition": "BMI < 18.5 kg/m2.", "cite": "who_bmi"},
    {"name": "NormalWeight", "label": "normal weight", "parents": ["BMICategory"],
     "definition": "BMI 18.5-24.9 kg/m2.", "cite": "who_bmi",
     "narrower": _icd("Z68.20", "Z68.21", "Z68.22", "Z68.23", "Z68.24")},
    {"name": "OverweightOrObesity", "label": "overweight or obesity",
     "parents": ["CardiometabolicCondition"], "definition": "BMI >= 25 kg/m2.", "cite": "who_bmi",
     "equiv": _icd("E66")},
    {"name": "Overweight", "label": "overweight (pre-obese)", "parents": ["BMICategory", "OverweightOrObesity"],
     "definition": "BMI 25.0-29.9 kg/m2.", "cite": "who_bmi",
     "equiv": _icd("E66.3") + _sct("238131007"),
     "narrower": _icd("Z68.25", "Z68.26", "Z68.27", "Z68.28", "Z68.29")},
    {"name": "Obesity", "label": "obesity", "parents": ["OverweightOrObesity"],
     "definition": "BMI >= 30 kg/m2 (obese class I, II or III).", "cite": "who_bmi",
     "equiv": _sct("414916001"),
     "narrower": _icd("E66.0", "E66.1", "E66.2", "E66.8", "E66.9") + _sct("238136002")},
    {"name": "ObesityClass1", "label": "obese class I", "parents": ["Obesity", "BMICategory"],
     "definition": "BMI 30.0-34.9 kg/m2.", "cite": "who_bmi",
     "narrower": _icd("Z68.30", "Z68.31", "Z68.32", "Z68.33", "Z68.34")},
    {"name": "ObesityClass2", "label": "obese class II", "parents": ["Obesity", "BMICategory"],
     "definition": "BMI 35.0-39.9 kg/m2.", "cite": "who_bmi",
     "narrower": _icd("Z68.35", "Z68.36", "Z68.37", "Z68.38", "Z68.39")},
    {"name": "ObesityClass3", "label": "obese class III", "parents": ["Obesity", "BMICategory"],
     "definition": "BMI >= 40 kg/m2.", "cite": "who_bmi",
     "narrower": _icd("Z68.41", "Z68.42", "Z68.43", "Z68.44", "Z68.45")},
    # ---------------------------------------------------------------- metabolic syndrome, ASCVD
    {"name": "MetabolicSyndrome", "label": "metabolic syndrome", "parents": ["CardiometabolicCondition"],
     "definition": "Any 3 of 5: waist circumference >= 102 cm (men) or >= 88 cm (women); "
                   "triglycerides >= 150 mg/dL or drug treatment; HDL cholesterol < 40 mg/dL (men) or "
                   "< 50 mg/dL (women) or drug treatment; SBP >= 130 or DBP >= 85 mm Hg or "
                   "antihypertensive treatment; fasting glucose >= 100 mg/dL or drug treatment.",
     "cite": "metsyn", "equiv": _icd("E88.81") + _sct("237602007")},
    {"name": "ASCVD", "label": "atherosclerotic cardiovascular disease",
     "parents": ["CardiometabolicCondition"],
     "definition": "Coronary heart disease, cerebrovascular disease or peripheral arterial disease "
                   "presumed to be of atherosclerotic origin.", "cite": "ada2025s10"},
    {"name": "CoronaryArteryDisease", "label": "coronary artery disease", "parents": ["ASCVD"],
     "definition": "Atherosclerotic disease of the coronary arteries, including acute coronary "
                   "syndromes, myocardial infarction, stable or unstable angina and coronary "
                   "revascularisation.", "cite": "ada2025s10",
     "equiv": _sct("53741008"), "narrower": _icd("I20-I25")},
    {"name": "Stroke", "label": "ischaemic stroke or TIA", "parents": ["ASCVD"],
     "definition": "Ischaemic stroke or transient ischaemic attack presumed of atherosclerotic origin.",
     "cite": "ada2025s10", "narrower": _icd("I63", "G45.9")},
    {"name": "PeripheralArterialDisease", "label": "peripheral arterial disease", "parents": ["ASCVD"],
     "definition": "Atherosclerotic disease of the arteries of the extremities, including "
                   "claudication, revascularisation and amputation for ischaemia.",
     "cite": "ada2025s10", "equiv": _sct("399957001"), "narrower": _icd("I70.2", "I73.9")},
    # ---------------------------------------------------------------- laboratory measurements
    {"name": "LabMeasurement", "label": "laboratory measurement", "parents": ["Measurement"],
     "definition": "A measurement made on a specimen in a clinical laboratory.", "cite": "loinc"},
    {"name": "GlycemicMeasurement", "label": "glycaemic measurement", "parents": ["LabMeasurement"],
     "definition": "A measurement of blood glucose or glycated haemoglobin.", "cite": "ada2025s2"},
    {"name": "HbA1c", "label": "haemoglobin A1c", "parents": ["GlycemicMeasurement"],
     "definition": "Hemoglobin A1c/Hemoglobin.total in Blood, in %. Diabetes >= 6.5%; prediabetes "
                   "5.7-6.4%.", "cite": "ada2025s2", "loinc": ["4548-4"], "unit": "%"},
    {"name": "Glucose", "label": "glucose", "parents": ["GlycemicMeasurement"],
     "definition": "Glucose mass concentration in blood (2339-0) or serum/plasma (2345-7), in mg/dL.",
     "cite": "ada2025s2", "loinc": ["2339-0", "2345-7"], "unit": "mg/dL"},
    {"name": "FastingGlucose", "label": "fasting glucose", "parents": ["Glucose"],
     "definition": "Glucose in serum or plasma after >= 8 h fasting, in mg/dL. Diabetes >= 126 mg/dL; "
                   "impaired fasting glucose 100-125 mg/dL.", "cite": "ada2025s2",
     "loinc": ["1558-6"], "unit": "mg/dL"},
    {"name": "KidneyFunctionMeasurement", "label": "kidney function measurement",
     "parents": ["LabMeasurement"], "definition": "A measurement of GFR, creatinine or albuminuria.",
     "cite": "kdigo2024"},
    {"name": "Creatinine", "label": "creatinine", "parents": ["KidneyFunctionMeasurement"],
     "definition": "Creatinine mass concentration in serum or plasma, in mg/dL.", "cite": "kdigo2024",
     "loinc": ["2160-0"], "unit": "mg/dL"},
    {"name": "EGFR", "label": "estimated glomerular filtration rate", "parents": ["KidneyFunctionMeasurement"],
     "definition": "Estimated GFR (CKD-EPI), in mL/min/1.73 m2. G categories: >= 90 G1, 60-89 G2, "
                   "45-59 G3a, 30-44 G3b, 15-29 G4, < 15 G5.", "cite": "kdigo2024",
     "loinc": ["98979-8", "33914-3", "62238-1"], "unit": "mL/min/{1.73_m2}"},
    {"name": "UrineAlbuminCreatinineRatio", "label": "urine albumin/creatinine ratio",
     "parents": ["KidneyFunctionMeasurement"],
     "definition": "Albumin/creatinine mass ratio in urine, in mg/g. A categories: < 30 A1, 30-300 A2, "
                   "> 300 A3.", "cite": "kdigo2024", "loinc": ["9318-7", "14959-1"], "unit": "mg/g"},
    {"name": "LipidMeasurement", "label": "lipid measurement", "parents": ["LabMeasurement"],
     "definition": "A measurement of serum or plasma lipids, in mg/dL.", "cite": "metsyn"},
    {"name": "TotalCholesterol", "label": "total cholesterol", "parents": ["LipidMeasurement"],
     "definition": "Cholesterol in serum or plasma, in mg/dL.", "cite": "metsyn",
     "loinc": ["2093-3"], "unit": "mg/dL"},
    {"name": "HDLCholesterol", "label": "HDL cholesterol", "parents": ["LipidMeasurement"],
     "definition": "HDL cholesterol in serum or plasma, in mg/dL. Metabolic syndrome criterion: "
                   "< 40 mg/dL (men), < 50 mg/dL (women).", "cite": "metsyn",
     "loinc": ["2085-9"], "unit": "mg/dL"},
    {"name": "LDLCholesterol", "label": "LDL cholesterol", "parents": ["LipidMeasurement"],
     "definition": "LDL cholesterol in serum or plasma, measured (18262-6) or calculated (13457-7), "
                   "in mg/dL.", "cite": "metsyn", "loinc": ["18262-6", "13457-7"], "unit": "mg/dL"},
    {"name": "Triglycerides", "label": "triglycerides", "parents": ["LipidMeasurement"],
     "definition": "Triglyceride in serum or plasma, in mg/dL. Metabolic syndrome criterion: "
                   ">= 150 mg/dL.", "cite": "metsyn", "loinc": ["2571-8"], "unit": "mg/dL"},
    # ---------------------------------------------------------------- vital signs, anthropometry
    {"name": "VitalSign", "label": "vital sign or body measurement", "parents": ["Measurement"],
     "definition": "A measurement of blood pressure, heart rate or body size.", "cite": "loinc"},
    {"name": "BodyMassIndex", "label": "body mass index", "parents": ["VitalSign"],
     "definition": "Body mass index (weight / height squared), in kg/m2.", "cite": "who_bmi",
     "loinc": ["39156-5"], "unit": "kg/m2"},
    {"name": "BodyWeight", "label": "body weight", "parents": ["VitalSign"],
     "definition": "Body weight, in kg.", "cite": "loinc", "loinc": ["29463-7"], "unit": "kg"},
    {"name": "WaistCircumference", "label": "waist circumference", "parents": ["VitalSign"],
     "definition": "Waist circumference at the umbilicus or iliac crest, in cm. Metabolic syndrome "
                   "criterion: >= 102 cm (men), >= 88 cm (women).", "cite": "metsyn",
     "loinc": ["56086-2"], "unit": "cm"},
    {"name": "SystolicBloodPressure", "label": "systolic blood pressure", "parents": ["VitalSign"],
     "definition": "Systolic blood pressure, in mm[Hg].", "cite": "accaha2017",
     "loinc": ["8480-6"], "unit": "mm[Hg]"},
    {"name": "DiastolicBloodPressure", "label": "diastolic blood pressure", "parents": ["VitalSign"],
     "definition": "Diastolic blood pressure, in mm[Hg].", "cite": "accaha2017",
     "loinc": ["8462-4"], "unit": "mm[Hg]"},
    # ---------------------------------------------------------------- lifelog (wearables)
    {"name": "LifelogMeasure", "label": "lifelog measure", "parents": ["Measurement"],
     "definition": "A daily summary from a consumer wearable device.", "cite": "who_pa2020"},
    {"name": "DailySteps", "label": "daily steps", "parents": ["LifelogMeasure"],
     "definition": "Number of steps in a calendar day, in {steps}/d.", "cite": "who_pa2020",
     "loinc": ["41950-7"], "unit": "{steps}/d"},
    {"name": "ActiveMinutes", "label": "active minutes", "parents": ["LifelogMeasure"],
     "definition": "Minutes of moderate-to-vigorous physical activity in a calendar day, in min/d; "
                   "adults should accumulate 150-300 min/week of moderate (or 75-150 min/week of "
                   "vigorous) activity.", "cite": "who_pa2020", "unit": "min/d"},
    {"name": "SleepMinutes", "label": "sleep minutes", "parents": ["LifelogMeasure"],
     "definition": "Total sleep time attributed to a night, in min/d; adults should sleep >= 7 h "
                   "(420 min) per night.", "cite": "aasm2015", "loinc": ["93832-4"], "unit": "min/d"},
    {"name": "RestingHeartRate", "label": "resting heart rate", "parents": ["LifelogMeasure", "VitalSign"],
     "definition": "Heart rate at rest, in {beats}/min.", "cite": "loinc",
     "loinc": ["40443-4"], "unit": "{beats}/min"},
    {"name": "WearTime", "label": "wear time", "parents": ["LifelogMeasure"],
     "definition": "Minutes in a calendar day with the device worn, in min/d; a day is valid for "
                   "activity summaries when wear time >= 600 min (10 h).", "cite": "troiano2008",
     "unit": "min/d"},
    {"name": "InsufficientPhysicalActivity", "label": "insufficient physical activity",
     "parents": ["CardiometabolicCondition"],
     "definition": "Fewer than 150 minutes of moderate-intensity (or 75 minutes of vigorous-intensity) "
                   "aerobic physical activity per week.", "cite": "who_pa2020"},
    {"name": "InsufficientSleep", "label": "insufficient sleep", "parents": ["CardiometabolicCondition"],
     "definition": "Regularly sleeping fewer than 7 hours per night (adults).", "cite": "aasm2015"},
]

DISJOINT: list[list[str]] = [
    ["Type1Diabetes", "Type2Diabetes", "OtherSpecificDiabetes", "GestationalDiabetes"],
    ["Prediabetes", "DiabetesMellitus"],
    ["CKDStageG1", "CKDStageG2", "CKDStageG3", "CKDStageG4", "CKDStageG5"],
    ["CKDStageG3a", "CKDStageG3b"],
    ["AlbuminuriaA1", "AlbuminuriaA2", "AlbuminuriaA3"],
    ["NormalBloodPressure", "ElevatedBloodPressure", "HypertensionStage1", "HypertensionStage2"],
    ["Underweight", "NormalWeight", "Overweight", "ObesityClass1", "ObesityClass2", "ObesityClass3"],
    ["CardiometabolicCondition", "Measurement", "AlbuminuriaCategory"],
]
