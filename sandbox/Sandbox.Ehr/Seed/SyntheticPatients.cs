using System.Globalization;
using Hl7.Fhir.Model;
using Rhizotomy.Core.Clinical;

namespace Sandbox.Ehr.Seed;

/// <summary>
/// The sandbox's synthetic chart data (ids listed in sandbox/README.md). Dates are relative to the
/// day the data is built ("today"): each surgery-day encounter is today, the history months before.
/// Every id is fixed, so seeding twice gives the same chart.
/// </summary>
/// <remarks>
/// Coded the way production EHRs code charts (issue 17): CPT for procedures (64405 greater occipital
/// nerve injection, 97110 therapeutic exercise), LOINC for imaging reports and pain scores, RxNorm where
/// the ingredient code is verified (gabapentin 25480, ibuprofen 5640), ICD-10-CM diagnoses, brand and
/// generic names, Observations linked to their block, Conditions linked as reasons. The app's own
/// CodeSystem is not used for chart data; a block with no verified code (lesser occipital) is text only.
/// </remarks>
public static class SyntheticPatients
{
    /// <summary>Local code systems of the sandbox (never standard codes in disguise).</summary>
    public const string LocalProcedures = "http://sandbox.local/CodeSystem/procedures";
    public const string LocalObservations = "http://sandbox.local/CodeSystem/observations";
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    public const string MrnSystem = "http://sandbox.local/sid/mrn";
    public const string PractitionerIdSystem = "http://sandbox.local/sid/practitioner-number";

    public const string Hospital = "sandbox-hospital";

    public static readonly string[] PatientIds = ["classic-left", "bilateral", "laterality-trap", "unrelated", "long-history", "odd-data"];
    public static readonly string[] PractitionerIds = ["surgeon-1", "surgeon-2", "resident-1"];

    private const string ConditionCategorySystem = "http://terminology.hl7.org/CodeSystem/condition-category";
    private const string ActCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    /// <summary>A transaction Bundle of PUTs (stable ids) that seeds every synthetic resource, dated from today (UTC).</summary>
    public static Bundle Build() => Build(DateOnly.FromDateTime(DateTime.UtcNow));

    /// <summary>The same data dated from <paramref name="today"/> (the surgery day).</summary>
    public static Bundle Build(DateOnly today)
    {
        var chart = new ChartWriter(today);
        chart.Organization();
        chart.Practitioners();
        ClassicLeft(chart);
        Bilateral(chart);
        LateralityTrap(chart);
        Unrelated(chart);
        LongHistory(chart);
        OddData(chart);
        return chart.Bundle;
    }

    private static void ClassicLeft(ChartWriter chart)
    {
        const string Id = "classic-left";
        chart.Patient(Id, "Margaret", "Ellison", AdministrativeGender.Female, "1979-04-12", "MRN-100001");
        var neuralgia = chart.Condition(Id, "c1", Diagnosis("Left occipital neuralgia", Known.Icd10Cm.OccipitalNeuralgia),
            Side.Left, "Left greater occipital nerve territory", onsetMonthsAgo: 26, recordedMonthsAgo: 24);
        chart.Medication(Id, "m1", "Gabapentin 300 mg three times daily, titrated to 1800 mg/day", neuralgia, 22, 16,
            "Stopped: no meaningful relief after 6 months; dizziness.", rxNorm: ("25480", "gabapentin"));
        chart.Medication(Id, "m2", "Amitriptyline 25 mg at night", neuralgia, 15, 10, "Stopped: dry mouth and morning drowsiness, pain unchanged.");
        chart.Prescription(Id, "mr1", "Lyrica 75 mg twice daily", neuralgia, 9, "Stopped after 8 weeks: no benefit.");
        chart.PhysicalTherapy(Id, "p1", neuralgia, startMonthsAgo: 14, endMonthsAgo: 11, "12 sessions of cervical physical therapy; no lasting benefit.");
        chart.NerveBlock(Id, "p2", Side.Left, "greater occipital nerve", neuralgia, monthsAgo: 8, "80% relief for 3 days", 80);
        chart.NerveBlock(Id, "p3", Side.Left, "greater occipital nerve", neuralgia, monthsAgo: 4, "75% relief for 2 days", 75);
        chart.PainScores(Id, "p3", monthsAgo: 4, before: 8, after: 2);
        chart.ImagingReport(Id, "r1", "MRI brain and cervical spine without contrast", monthsAgo: 12, Loinc("30657-1", "MR Brain WO contrast"),
            "No intracranial lesion. No compression of the upper cervical roots. Findings support a peripheral (occipital) origin of the pain.");
        chart.SurgeryEncounter(Id, neuralgia, Encounter.EncounterStatus.Planned);
    }

    private static void Bilateral(ChartWriter chart)
    {
        const string Id = "bilateral";
        chart.Patient(Id, "Daniel", "Okonkwo", AdministrativeGender.Male, "1971-09-30", "MRN-100002");
        var neuralgia = chart.Condition(Id, "c1", Diagnosis("Bilateral occipital neuralgia", Known.Icd10Cm.OccipitalNeuralgia),
            Side.Both, "Both greater occipital nerve territories", onsetMonthsAgo: 40, recordedMonthsAgo: 36);
        chart.Condition(Id, "c2", Diagnosis("Cervicogenic headache", Known.Icd10Cm.CervicogenicHeadache), null, null, onsetMonthsAgo: 40, recordedMonthsAgo: 30);
        chart.Medication(Id, "m1", "Gabapentin 600 mg three times daily", neuralgia, 30, 20, "Stopped: ineffective.");
        chart.PhysicalTherapy(Id, "p1", neuralgia, startMonthsAgo: 24, endMonthsAgo: 20, "Physical therapy and posture training, 10 sessions.");
        chart.NerveBlock(Id, "p2", Side.Left, "greater occipital nerve", neuralgia, monthsAgo: 7, "90% relief for 5 days", 90);
        chart.NerveBlock(Id, "p3", Side.Right, "greater occipital nerve", neuralgia, monthsAgo: 7, "85% relief for 4 days", 85);
        chart.NerveBlock(Id, "p4", Side.Right, "lesser occipital nerve", neuralgia, monthsAgo: 3, "60% relief for 1 day", 60);
        chart.ImagingReport(Id, "r1", "MRI cervical spine", monthsAgo: 18, Loinc("24935-9", "MR Cervical spine"), "Mild C4-C5 spondylosis. No neural compression at C1-C3.");
        chart.SurgeryEncounter(Id, neuralgia, Encounter.EncounterStatus.InProgress);
    }

    private static void LateralityTrap(ChartWriter chart)
    {
        const string Id = "laterality-trap";
        chart.Patient(Id, "Priya", "Raman", AdministrativeGender.Female, "1985-01-22", "MRN-100003");
        var neuralgia = chart.Condition(Id, "c1", Diagnosis("Right occipital neuralgia", Known.Icd10Cm.OccipitalNeuralgia),
            Side.Right, "Right greater occipital nerve territory", onsetMonthsAgo: 20, recordedMonthsAgo: 18);
        chart.Medication(Id, "m1", "Amitriptyline 10 mg at night", neuralgia, 16, 12, "Stopped: no benefit.");
        // The trap: the only diagnostic block was done on the LEFT, the side without the disease.
        chart.NerveBlock(Id, "p1", Side.Left, "greater occipital nerve", neuralgia, monthsAgo: 5, "70% relief for 2 days", 70);
        chart.ImagingReport(Id, "r1", "MRI brain without contrast", monthsAgo: 10, Loinc("30657-1", "MR Brain WO contrast"), "Normal study.");
        chart.SurgeryEncounter(Id, neuralgia, Encounter.EncounterStatus.Planned);
    }

    private static void Unrelated(ChartWriter chart)
    {
        const string Id = "unrelated";
        chart.Patient(Id, "Robert", "Lindqvist", AdministrativeGender.Male, "1958-06-03", "MRN-100004");
        var hypertension = chart.Condition(Id, "c1", TextOnly("Essential hypertension"), null, null, onsetMonthsAgo: 120, recordedMonthsAgo: 118);
        chart.Condition(Id, "c2", TextOnly("Seasonal allergic rhinitis"), null, null, onsetMonthsAgo: 200, recordedMonthsAgo: 190);
        chart.LocalProcedure(Id, "p1", "appendectomy", "Laparoscopic appendectomy", null, monthsAgo: 300);
        chart.Medication(Id, "m1", "Lisinopril 10 mg daily", hypertension, 118, null, null);
        var knee = chart.Condition(Id, "c3", TextOnly("Osteoarthritis of right knee"), null, null, onsetMonthsAgo: 30, recordedMonthsAgo: 30);
        chart.Medication(Id, "m2", "Ibuprofen 400 mg as needed", knee, 30, 24, "Stopped: stomach upset.", rxNorm: ("5640", "ibuprofen"));
        chart.SurgeryEncounter(Id, null, Encounter.EncounterStatus.Planned);
    }

    private static void LongHistory(ChartWriter chart)
    {
        const string Id = "long-history";
        chart.Patient(Id, "Harold", "Fenwick", AdministrativeGender.Male, "1949-11-17", "MRN-100005");
        string[] problems =
        [
            "Type 2 diabetes mellitus", "Hyperlipidaemia", "Osteoarthritis of knee", "Gastro-oesophageal reflux", "Benign prostatic hyperplasia",
            "Chronic kidney disease stage 2", "Hypothyroidism", "Insomnia", "Lumbar spondylosis", "Cataract", "Tinnitus", "Plantar fasciitis",
            "Actinic keratosis", "Iron deficiency", "Vitamin D deficiency",
        ];
        string[] procedures =
        [
            "Colonoscopy", "Cataract extraction", "Skin lesion excision", "Dental extraction", "Knee arthroscopy", "Upper endoscopy",
            "Carpal tunnel release", "Inguinal hernia repair", "Cystoscopy", "Steroid joint injection",
        ];

        Condition? neuralgia = null;
        for (var index = 0; index < 152; index++)
        {
            // The relevant diagnosis sits deep in the list, as in a real decades-long chart.
            if (index == 137)
            {
                neuralgia = chart.Condition(Id, "c" + index, Diagnosis("Left occipital neuralgia", Known.Icd10Cm.OccipitalNeuralgia),
                    Side.Left, "Left greater occipital nerve territory", onsetMonthsAgo: 30, recordedMonthsAgo: 28);
                continue;
            }

            var months = 6 + (index * 37 % 280);
            chart.Condition(Id, "c" + index, TextOnly($"{problems[index % problems.Length]} (entry {index + 1})"), null, null,
                onsetMonthsAgo: months + 2, recordedMonthsAgo: months, active: index % 3 != 0);
        }

        for (var index = 0; index < 104; index++)
        {
            if (index == 91)
            {
                chart.NerveBlock(Id, "p" + index, Side.Left, "greater occipital nerve", neuralgia!, monthsAgo: 6, "75% relief for 2 days", 75);
                continue;
            }

            chart.LocalProcedure(Id, "p" + index, "history-" + (index % procedures.Length), $"{procedures[index % procedures.Length]} (entry {index + 1})",
                null, monthsAgo: 8 + (index * 29 % 300));
        }

        chart.SurgeryEncounter(Id, neuralgia, Encounter.EncounterStatus.Planned);
    }

    private static void OddData(ChartWriter chart)
    {
        const string Id = "odd-data";
        var patient = chart.Patient(Id, "Eleni", "Papadopoulou", AdministrativeGender.Female, "1990", "MRN-100006");
        patient.Name.Clear();
        patient.Name.Add(new HumanName { Use = HumanName.NameUse.Official, Family = "Παπαδοπούλου", Given = ["Ελένη"], Text = "Ελένη Παπαδοπούλου" });
        patient.Name.Add(new HumanName { Use = HumanName.NameUse.Usual, Family = "王", Given = ["芳"], Text = "王芳" });
        patient.Name.Add(new HumanName { Use = HumanName.NameUse.Nickname, Text = "فاطمة الزهراء" });

        chart.Condition(Id, "c1", TextOnly("<script>alert(1)</script> occipital headache, \"quotes' & ampersands\""), null, null,
            onsetMonthsAgo: 30, recordedMonthsAgo: 28);
        var unknownSystem = chart.Condition(Id, "c2", new CodeableConcept("http://unknown.example.org/codes", "ON-77", "Occipital thing"), null, null,
            onsetMonthsAgo: 20, recordedMonthsAgo: 19);
        unknownSystem.Note.Add(new Annotation { Text = new Markdown("<b>bold</b> note with <i>markup</i> & an <img src=x onerror=alert(2)>") });

        var enteredInError = chart.Condition(Id, "c3", Diagnosis("Left occipital neuralgia", Known.Icd10Cm.OccipitalNeuralgia), Side.Left, "Left",
            onsetMonthsAgo: 15, recordedMonthsAgo: 15);
        enteredInError.ClinicalStatus = null;
        enteredInError.VerificationStatus = Verification("entered-in-error");

        var refuted = chart.Condition(Id, "c4", Diagnosis("Right occipital neuralgia", Known.Icd10Cm.OccipitalNeuralgia), Side.Right, "Right",
            onsetMonthsAgo: 14, recordedMonthsAgo: 14);
        refuted.ClinicalStatus = Clinical("inactive");
        refuted.VerificationStatus = Verification("refuted");

        var partial = chart.Condition(Id, "c5", TextOnly("Headache at the back of the head"), null, null, onsetMonthsAgo: 0, recordedMonthsAgo: 0);
        partial.Onset = new FhirDateTime("2019");
        partial.RecordedDateElement = new FhirDateTime("2021-03");

        var notDone = chart.NerveBlock(Id, "p1", Side.Left, "greater occipital nerve", partial, monthsAgo: 10, null, null);
        notDone.Status = EventStatus.NotDone;
        notDone.StatusReason = new CodeableConcept { Text = "Patient declined on the day" };

        var vague = chart.LocalProcedure(Id, "p2", "physical-therapy", "<b>bold</b> physiotherapy", partial, monthsAgo: 0);
        vague.Performed = new FhirString("sometime in 2019");
        vague.Note.Add(new Annotation { Text = new Markdown("\"quotes' & ampersands\" <script>alert(3)</script>") });

        chart.SurgeryEncounter(Id, partial, Encounter.EncounterStatus.Planned);
    }

    private static CodeableConcept Diagnosis(string text, string icd10Code) =>
        new() { Coding = [new Coding(Known.Systems.Icd10Cm, icd10Code, Known.Icd10Cm.Relevant[icd10Code])], Text = text };

    private static CodeableConcept TextOnly(string text) => new() { Text = text };

    // LOINC codes listed in the C-CDA on FHIR 1.2.0 imaging ValueSet (see profiles/valuesets).
    private static Coding Loinc(string code, string display) => new(Known.Systems.Loinc, code, display);

    private static CodeableConcept Clinical(string code) => new(Known.Systems.ConditionClinical, code);

    private static CodeableConcept Verification(string code) => new(Known.Systems.ConditionVerification, code);

    private enum Side
    {
        Left,
        Right,
        Both,
    }

    /// <summary>Builds the resources and adds each as a PUT entry.</summary>
    private sealed class ChartWriter(DateOnly today)
    {
        public Bundle Bundle { get; } = new() { Type = Bundle.BundleType.Transaction };

        private string Date(int monthsAgo, int daysAgo = 0) =>
            today.AddMonths(-monthsAgo).AddDays(-daysAgo).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        private T Put<T>(T resource) where T : Resource
        {
            Bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
            });
            return resource;
        }

        private static ResourceReference Ref(Resource resource) => new($"{resource.TypeName}/{resource.Id}");

        private static ResourceReference PatientRef(string id) => new("Patient/" + id);

        public void Organization() => Put(new Organization
        {
            Id = Hospital,
            Active = true,
            Name = "Sandbox General Hospital",
            Identifier = [new Identifier("http://sandbox.local/sid/organization", "SGH")],
        });

        public void Practitioners()
        {
            (string Id, string Given, string Family, string Number, string Role)[] staff =
            [
                ("surgeon-1", "Amelia", "Hart", "9000000011", "Neurosurgeon"),
                ("surgeon-2", "Kenji", "Watanabe", "9000000029", "Neurosurgeon"),
                ("resident-1", "Samuel", "Okafor", "9000000037", "Neurosurgery resident"),
            ];
            foreach (var (id, given, family, number, role) in staff)
            {
                Put(new Practitioner
                {
                    Id = id,
                    Active = true,
                    Identifier = [new Identifier(PractitionerIdSystem, number)],
                    Name = [new HumanName { Family = family, Given = [given], Prefix = ["Dr."], Text = $"Dr. {given} {family}" }],
                    Qualification = [new Practitioner.QualificationComponent { Code = new CodeableConcept { Text = role } }],
                });
            }
        }

        public Patient Patient(string id, string given, string family, AdministrativeGender gender, string birthDate, string mrn) =>
            Put(new Patient
            {
                Id = id,
                Active = true,
                Identifier = [new Identifier(MrnSystem, mrn)],
                Name = [new HumanName { Use = HumanName.NameUse.Official, Family = family, Given = [given] }],
                Gender = gender,
                BirthDate = birthDate,
                ManagingOrganization = new ResourceReference("Organization/" + Hospital),
            });

        public Condition Condition(string patient, string suffix, CodeableConcept code, Side? side, string? sideText,
            int onsetMonthsAgo, int recordedMonthsAgo, bool active = true)
        {
            var condition = new Condition
            {
                Id = $"{patient}-{suffix}",
                ClinicalStatus = Clinical(active ? "active" : "resolved"),
                VerificationStatus = Verification("confirmed"),
                Category = [new CodeableConcept(ConditionCategorySystem, "problem-list-item", "Problem List Item")],
                Code = code,
                Subject = PatientRef(patient),
                Onset = new FhirDateTime(Date(onsetMonthsAgo)),
                RecordedDate = Date(recordedMonthsAgo),
                Recorder = new ResourceReference("Practitioner/surgeon-1"),
            };
            if (!active)
            {
                condition.Abatement = new FhirDateTime(Date(Math.Max(0, recordedMonthsAgo - 3)));
            }

            if (side is { } laterality)
            {
                condition.BodySite = [Laterality(laterality, sideText)];
            }

            return Put(condition);
        }

        public void Medication(string patient, string suffix, string medication, Condition? reason, int startMonthsAgo, int? endMonthsAgo, string? note,
            (string Code, string Display)? rxNorm = null)
        {
            var statement = new MedicationStatement
            {
                Id = $"{patient}-{suffix}",
                Status = endMonthsAgo is null ? MedicationStatement.MedicationStatusCodes.Active : MedicationStatement.MedicationStatusCodes.Stopped,
                Medication = rxNorm is { } rx ? new CodeableConcept(RxNorm, rx.Code, rx.Display, medication) : new CodeableConcept { Text = medication },
                Subject = PatientRef(patient),
                Effective = new Period { Start = Date(startMonthsAgo), End = endMonthsAgo is { } end ? Date(end) : null },
                DateAsserted = Date(endMonthsAgo ?? startMonthsAgo),
            };
            if (reason is not null)
            {
                statement.ReasonReference.Add(Ref(reason));
            }

            if (note is not null)
            {
                statement.Note.Add(new Annotation { Text = new Markdown(note) });
            }

            Put(statement);
        }

        public void Prescription(string patient, string suffix, string medication, Condition reason, int monthsAgo, string note) =>
            Put(new MedicationRequest
            {
                Id = $"{patient}-{suffix}",
                Status = MedicationRequest.MedicationrequestStatus.Stopped,
                Intent = MedicationRequest.MedicationRequestIntent.Order,
                Medication = new CodeableConcept { Text = medication },
                Subject = PatientRef(patient),
                AuthoredOn = Date(monthsAgo),
                Requester = new ResourceReference("Practitioner/surgeon-2"),
                ReasonReference = [Ref(reason)],
                Note = [new Annotation { Text = new Markdown(note) }],
            });

        public void PhysicalTherapy(string patient, string suffix, Condition reason, int startMonthsAgo, int endMonthsAgo, string outcome) =>
            Put(new Procedure
            {
                Id = $"{patient}-{suffix}",
                Status = EventStatus.Completed,
                Code = new CodeableConcept(Known.Systems.Cpt, "97110", null, "Physical therapy for neck and occipital pain"),
                Subject = PatientRef(patient),
                Performed = new Period { Start = Date(startMonthsAgo), End = Date(endMonthsAgo) },
                ReasonReference = [Ref(reason)],
                Outcome = new CodeableConcept { Text = outcome },
            });

        public Procedure LocalProcedure(string patient, string suffix, string code, string text, Condition? reason, int monthsAgo)
        {
            var procedure = new Procedure
            {
                Id = $"{patient}-{suffix}",
                Status = EventStatus.Completed,
                Code = new CodeableConcept(LocalProcedures, code, null, text),
                Subject = PatientRef(patient),
                Performed = new FhirDateTime(Date(monthsAgo, daysAgo: 3)),
            };
            if (reason is not null)
            {
                procedure.ReasonReference.Add(Ref(reason));
            }

            return Put(procedure);
        }

        /// <summary>
        /// A diagnostic occipital nerve block, with the relief in <c>outcome.text</c> and as an Observation.
        /// A greater occipital block carries CPT 64405; other nerves have no verified code and are text only.
        /// </summary>
        public Procedure NerveBlock(string patient, string suffix, Side side, string nerve, Condition reason, int monthsAgo, string? relief, int? reliefPercent)
        {
            var sideWord = side == Side.Left ? "Left" : "Right";
            var text = $"{sideWord} {nerve} block (bupivacaine 0.5% 3 mL with triamcinolone 40 mg)";
            var procedure = Put(new Procedure
            {
                Id = $"{patient}-{suffix}",
                Status = EventStatus.Completed,
                Category = new CodeableConcept { Text = "Diagnostic procedure" },
                Code = nerve.StartsWith("greater", StringComparison.Ordinal) ? new CodeableConcept(Known.Systems.Cpt, "64405", null, text) : new CodeableConcept { Text = text },
                Subject = PatientRef(patient),
                Performed = new FhirDateTime(Date(monthsAgo, daysAgo: 10)),
                Performer = [new Procedure.PerformerComponent { Actor = new ResourceReference("Practitioner/surgeon-2") }],
                ReasonReference = [Ref(reason)],
                BodySite = [Laterality(side, $"{sideWord} {nerve}")],
                Outcome = relief is null ? null : new CodeableConcept { Text = relief },
            });

            if (reliefPercent is { } percent)
            {
                Put(new Observation
                {
                    Id = $"{procedure.Id}-relief",
                    Status = ObservationStatus.Final,
                    Code = new CodeableConcept(LocalObservations, "nerve-block-relief", "Pain relief after nerve block", "Pain relief after nerve block"),
                    Subject = PatientRef(patient),
                    PartOf = [Ref(procedure)],
                    Effective = new FhirDateTime(Date(monthsAgo, daysAgo: 9)),
                    Value = new Quantity(percent, "%", Known.Systems.UnitsOfMeasure),
                    Note = relief is null ? [] : [new Annotation { Text = new Markdown(relief) }],
                });
            }

            return procedure;
        }

        /// <summary>Pain scores (LOINC 72514-3) before and after a block, each with <c>partOf</c> the block.</summary>
        public void PainScores(string patient, string blockSuffix, int monthsAgo, int before, int after)
        {
            var block = new ResourceReference($"Procedure/{patient}-{blockSuffix}");
            var day = Date(monthsAgo, daysAgo: 10);
            foreach (var (suffix, value, time) in new[] { ("pain-before", before, "T09:00:00Z"), ("pain-after", after, "T09:45:00Z") })
            {
                Put(new Observation
                {
                    Id = $"{patient}-{blockSuffix}-{suffix}",
                    Status = ObservationStatus.Final,
                    Code = new CodeableConcept(Known.Systems.Loinc, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "Pain score"),
                    Subject = PatientRef(patient),
                    PartOf = [block],
                    Effective = new FhirDateTime(day + time),
                    Value = new Quantity(value, "{score}", Known.Systems.UnitsOfMeasure),
                });
            }
        }

        public void ImagingReport(string patient, string suffix, string title, int monthsAgo, Coding? loinc, string conclusion) =>
            Put(new DiagnosticReport
            {
                Id = $"{patient}-{suffix}",
                Status = DiagnosticReport.DiagnosticReportStatus.Final,
                Category = [new CodeableConcept { Text = "Radiology" }],
                Code = loinc is null ? new CodeableConcept { Text = title } : new CodeableConcept { Coding = [loinc], Text = title },
                Subject = PatientRef(patient),
                Effective = new FhirDateTime(Date(monthsAgo)),
                Issued = new DateTimeOffset(today.AddMonths(-monthsAgo).ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero),
                Conclusion = conclusion,
            });

        public void SurgeryEncounter(string patient, Condition? reason, Encounter.EncounterStatus status)
        {
            var encounter = new Encounter
            {
                Id = $"{patient}-surgery",
                Status = status,
                Class = new Coding(ActCodeSystem, "AMB", "ambulatory"),
                Type = [new CodeableConcept { Text = "Day surgery: occipital nerve surgery" }],
                Subject = PatientRef(patient),
                Participant =
                [
                    new Encounter.ParticipantComponent { Individual = new ResourceReference("Practitioner/surgeon-1") },
                    new Encounter.ParticipantComponent { Individual = new ResourceReference("Practitioner/resident-1") },
                ],
                Period = new Period { Start = Date(0) },
                ServiceProvider = new ResourceReference("Organization/" + Hospital),
            };
            if (reason is not null)
            {
                encounter.ReasonReference.Add(Ref(reason));
            }

            Put(encounter);
        }

        private static CodeableConcept Laterality(Side side, string? text) => side switch
        {
            Side.Left => new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Left, "Left", text),
            Side.Right => new CodeableConcept(Known.Systems.Snomed, Known.Snomed.Right, "Right", text),
            _ => new CodeableConcept(Known.Systems.Snomed, Known.Snomed.LeftAndRight, "Right and left", text),
        };
    }
}
