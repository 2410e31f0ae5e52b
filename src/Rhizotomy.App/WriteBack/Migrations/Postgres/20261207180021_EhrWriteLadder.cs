using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Rhizotomy.App.WriteBack.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class EhrWriteLadder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ehr_write_memory",
                columns: table => new
                {
                    Issuer = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: false),
                    Strategy = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Reason = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ehr_write_memory", x => x.Issuer);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ehr_write_memory");
        }
    }
}
