package example;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.client.api.IGenericClient;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Enumerations.AdministrativeGender;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;

public class NimbusClient {
  public static void main(String[] args) {
    String base = args.length > 0 ? args[0] : "http://127.0.0.1:8080/fhir";
    FhirContext ctx = FhirContext.forR4();
    IGenericClient client = ctx.newRestfulGenericClient(base);
    // With auth on: client.registerInterceptor(new BearerTokenAuthInterceptor(accessToken));

    CapabilityStatement cs = client.capabilities().ofType(CapabilityStatement.class).execute();
    System.out.println("FHIR " + cs.getFhirVersion().toCode());

    Patient patient = new Patient();
    patient.addName().setFamily("Chalmers").addGiven("Peter");
    patient.setGender(AdministrativeGender.MALE);
    MethodOutcome created = client.create().resource(patient).execute();
    IIdType id = created.getId().toUnqualifiedVersionless();
    System.out.println("created " + created.getId().getValue());

    Patient read = client.read().resource(Patient.class).withId(id).execute();
    read.setBirthDateElement(new org.hl7.fhir.r4.model.DateType("1974-12-25"));
    client.update().resource(read).execute();

    Bundle page = client.search().forResource(Patient.class)
        .where(Patient.FAMILY.matches().value("Chalmers"))
        .count(20)
        .returnBundle(Bundle.class)
        .execute();
    int total = 0;
    while (true) {
      total += page.getEntry().size();
      if (page.getLink(Bundle.LINK_NEXT) == null) break;
      page = client.loadPage().next(page).execute();
    }
    System.out.println("Chalmers patients: " + total);

    Parameters meta = client.operation().onInstance(id).named("$meta")
        .withNoParameters(Parameters.class).useHttpGet().execute();
    System.out.println("$meta: " + meta.getParameterFirstRep().getName());

    Bundle history = client.history().onInstance(id).returnBundle(Bundle.class).execute();
    System.out.println("versions: " + history.getEntry().size());
  }
}
